//! What the web-page tests share: a cookie-keeping form client, staff users, and headless
//! Chromium through chromedriver. Included with `#[path]` next to `api/support.rs` as `support`.

use std::collections::HashMap;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use super::support::TestApp;

pub const PASSWORD: &str = "rahasia-sekali-123";

/// A cookie-keeping client that does not follow redirects (tests look at them).
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub text: String,
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the first hidden `_csrf` field on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn finish(&mut self, r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            if let Some((k, v)) = kv.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page {
            status,
            location,
            set_cookies,
            text: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_encode(fields))
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200);
        let token = csrf_of(&page.text);
        self.post(
            "/login",
            &[("login", login), ("password", password), ("_csrf", &token)],
        )
        .await
    }
}

pub async fn user(app: &TestApp, login: &str, role: &str, site: Option<&str>) {
    let r = app
        .post(
            "/api/v1/admin/users",
            &app.admin,
            &json!({"name": format!("Petugas {login}"), "login": login, "role": role,
                    "site_id": site, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// An executable on `PATH`.
pub fn on_path(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver, started on a free port; killed when dropped.
pub struct Driver {
    pub child: std::process::Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_driver(path: &std::path::Path) -> Driver {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // chromedriver says when it listens: read until then instead of sleeping.
    let out = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(out).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("started successfully"));
    assert!(started, "chromedriver did not start");
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// chromedriver and a Chromium binary on `PATH`. Outside CI a missing browser skips the test
/// (returns `None`); with `CI` set it fails, because the browser tests must run there.
pub fn browser_tools() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let driver = on_path(&["chromedriver"]);
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but chromium or chromedriver is missing: the browser test must run in CI"
            )
        }
        _ => {
            eprintln!("note: chromium or chromedriver not found; skipping the browser test");
            None
        }
    }
}

/// A headless Chromium session through a running chromedriver, in a window asked to be 360 px
/// wide (a desktop window is not made narrower than 500 px; [`phone`] emulates 360 px).
pub async fn browser(driver: &Driver, chromium: &std::path::Path) -> fantoccini::Client {
    session(driver, chromium, &["--window-size=360,800"], None).await
}

/// A headless Chromium session with a phone's viewport, really 360 px wide (emulated).
pub async fn phone(driver: &Driver, chromium: &std::path::Path) -> fantoccini::Client {
    let metrics = json!({"deviceMetrics": {"width": 360, "height": 800, "pixelRatio": 1.0}});
    session(driver, chromium, &[], Some(metrics)).await
}

async fn session(
    driver: &Driver,
    chromium: &std::path::Path,
    extra_args: &[&str],
    mobile_emulation: Option<serde_json::Value>,
) -> fantoccini::Client {
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ];
    args.extend_from_slice(extra_args);
    let mut options = json!({"binary": chromium, "args": args});
    if let Some(m) = mobile_emulation {
        options["mobileEmulation"] = m;
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Sign in through the login page as `login` (with [`PASSWORD`]).
pub async fn sign_in(c: &fantoccini::Client, base: &str, login: &str) {
    use fantoccini::Locator;
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}
