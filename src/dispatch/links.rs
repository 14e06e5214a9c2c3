//! Following map short links (`maps.app.goo.gl/…`, `goo.gl/maps/…`) to the place they stand
//! for, on installations whose server may reach the internet. Off by default: without it a short
//! link is refused with advice to open it and copy the coordinates (`domain::location`).
//!
//! The resolver asks for the link without following redirects and reads each `Location` it is
//! sent, up to a few hops, stopping at the first one the location parser understands; it never
//! downloads a page. It runs before a use case opens its transaction (a slow network must not
//! hold the database). An `http_proxy` setting reaches the internet through a proxy.
//!
//! Depends on `domain::location`; must not depend on `api`, `web` or `store`.

use std::time::Duration;

use crate::domain::location::{LocationError, parse_location};

/// Most redirects followed for one link.
const MAX_HOPS: usize = 5;

/// Follows short links to where they lead.
#[derive(Debug, Clone)]
pub struct LinkResolver {
    client: reqwest::Client,
}

impl LinkResolver {
    /// A resolver with a per-request timeout, optionally through an HTTP proxy.
    pub fn new(proxy: Option<&str>, timeout: Duration) -> Result<Self, String> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent("antar-link-resolver");
        if let Some(p) = proxy.filter(|p| !p.is_empty()) {
            b = b.proxy(reqwest::Proxy::all(p).map_err(|e| format!("http_proxy {p:?}: {e}"))?);
        } else {
            b = b.no_proxy();
        }
        Ok(Self {
            client: b.build().map_err(|e| e.to_string())?,
        })
    }

    /// Where the short link `link` leads: the first redirect target that reads as a location.
    pub async fn resolve(&self, link: &str) -> Result<String, String> {
        let mut url = if link.contains("://") {
            link.trim().to_owned()
        } else {
            format!("https://{}", link.trim())
        };
        for _ in 0..MAX_HOPS {
            let r = self
                .client
                .get(&url)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let Some(next) = r
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
            else {
                return Err(format!("{url}: answered {} without a redirect", r.status()));
            };
            let next = match reqwest::Url::parse(&url).and_then(|base| base.join(next)) {
                Ok(u) => u.to_string(),
                Err(_) => next.to_owned(),
            };
            match parse_location(&next, None) {
                Ok(_) => return Ok(next),
                // Another short link (or a consent page naming the target): keep going.
                Err(LocationError::ShortLink(_)) | Err(_) => url = next,
            }
        }
        Err(format!("{link}: more than {MAX_HOPS} redirects"))
    }
}

impl super::Dispatch {
    /// Use a short-link resolver for typed locations (none: short links are refused).
    pub fn with_link_resolver(mut self, resolver: Option<LinkResolver>) -> Self {
        self.links = resolver.map(std::sync::Arc::new);
        self
    }

    /// `text` with a short map link replaced by where it leads, when a resolver is configured
    /// and the link can be followed; otherwise `text` unchanged (the parser then refuses it
    /// with advice).
    pub async fn expand_location_text(&self, text: &str) -> String {
        let Some(resolver) = &self.links else {
            return text.to_owned();
        };
        if !matches!(parse_location(text, None), Err(LocationError::ShortLink(_))) {
            return text.to_owned();
        }
        match resolver.resolve(text).await {
            Ok(target) => {
                tracing::info!(link = text, "short link resolved");
                target
            }
            Err(e) => {
                tracing::warn!(error = %e, "short link could not be followed");
                text.to_owned()
            }
        }
    }
}
