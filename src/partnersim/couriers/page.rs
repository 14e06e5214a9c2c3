//! Reading the courier page (`/kurir/{token}`) as its own script does: the token on `body`,
//! each stop's `li[data-stop]` in riding order with its state label, PIN field, tin button and
//! parcel code, the pickup button, and the script itself (a refusal page has none). Plain
//! string scanning: the page is small, server-rendered and escapes its attribute values.

use uuid::Uuid;

/// The courier page as its script reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Page {
    /// `body[data-token]`.
    pub(super) token: String,
    /// The pickup button is shown (not picked up yet).
    pub(super) pickup: bool,
    /// The page's script is there (it is the courier page, not a refusal).
    pub(super) script: bool,
    /// Stops in riding order.
    pub(super) stops: Vec<PageStop>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PageStop {
    pub(super) id: Uuid,
    /// Neither handed over, failed nor removed.
    pub(super) open: bool,
    /// Has the PIN field (controlled medicine).
    pub(super) pin: bool,
    /// Has the Rantang kembali button.
    pub(super) meal: bool,
    /// As printed on the stop ("Jam 10:20–11:50 · CODE · 1 rantang").
    pub(super) parcel_code: Option<String>,
}

/// Read the courier page: the token on `body`, each `li[data-stop]` in order with its state
/// label, PIN field, tin button and parcel code, the pickup button, the script. `None` for a
/// page that is not markup or has no token.
pub(super) fn read_page(html: &str) -> Option<Page> {
    let mut page = Page::default();
    let mut token = None;
    let mut current: Option<PageStop> = None;
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>')?;
        let tag = &after[..end];
        rest = &after[end + 1..];
        let text = unescape(rest[..rest.find('<').unwrap_or(rest.len())].trim());
        if let Some(name) = tag.strip_prefix('/') {
            if name.trim() == "li"
                && let Some(stop) = current.take()
            {
                page.stops.push(stop);
            }
            continue;
        }
        let (name, attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let attrs = attributes(attrs);
        let attr = |n: &str| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        match (name.to_ascii_lowercase().as_str(), current.as_mut()) {
            ("body", _) => token = attr("data-token").map(str::to_owned),
            ("li", _) => {
                if let Some(id) = attr("data-stop") {
                    current = Some(PageStop {
                        id: id.parse().ok()?,
                        open: !matches!(attr("class"), Some("done" | "fail")),
                        pin: false,
                        meal: false,
                        parcel_code: None,
                    });
                }
            }
            ("button", stop) => match (attr("data-a"), stop) {
                (Some("picked_up"), None) => page.pickup = true,
                (Some("tin_returned"), Some(stop)) => stop.meal = true,
                _ => {}
            },
            ("input", Some(stop)) if attr("id").is_some_and(|i| i.starts_with("pin-")) => {
                stop.pin = true;
            }
            // A stop handed over, failed or removed is labelled so: not ridden again.
            ("span", Some(stop))
                if attr("id").is_some_and(|i| i.starts_with("st-"))
                    && !matches!(text.as_str(), "(Belum)" | "(Sudah sampai)") =>
            {
                stop.open = false;
            }
            ("p", Some(stop)) if text.starts_with("Jam ") => {
                stop.parcel_code = text.split(" · ").nth(1).map(|c| c.trim().to_owned());
            }
            ("script", _) => {
                page.script = true;
                // The script is the last thing on the page and may hold '<' of its own.
                break;
            }
            _ => {}
        }
    }
    page.token = token?;
    Some(page)
}

/// `name="value"` pairs of a tag (bare names get an empty value).
fn attributes(s: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| c == '=' || c == '/' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = &rest[..end];
        rest = rest[end..].trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix('"') {
                let close = r.find('"').unwrap_or(r.len());
                out.push((name, unescape(&r[..close])));
                rest = r.get(close + 1..).unwrap_or("");
            } else {
                let close = r.find(char::is_whitespace).unwrap_or(r.len());
                out.push((name, unescape(&r[..close])));
                rest = &r[close..];
            }
        } else if name.is_empty() {
            // A stray '/' (as in `<br/>`).
            rest = &rest[1..];
        } else {
            out.push((name, String::new()));
        }
        rest = rest.trim_start();
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0190d3b2-0000-7000-8000-000000000001";
    const B: &str = "0190d3b2-0000-7000-8000-000000000002";
    const C: &str = "0190d3b2-0000-7000-8000-000000000003";

    fn sample(pickup: bool) -> String {
        format!(
            r#"<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Antaran · antar</title><style>li.done{{background:#eef7ee}}</style></head>
<body data-token="abc.def"><header><h1>Antaran 04-03-2031</h1><p id="q" role="status">Semua terkirim</p>{}</header>
<main><ol>
<li id="s-{A}" data-stop="{A}"><h2>1. Ibu S. <span class="st" id="st-{A}">(Belum)</span></h2><p>Jam 10:20–11:50 · RK-&amp;1 · 1 rantang</p>
<textarea id="note-{A}" rows="2"></textarea><div><button class="ok" type="button" data-a="delivered">Diantar</button><button type="button" data-a="tin_returned">Rantang kembali</button></div></li>
<li id="s-{B}" data-stop="{B}" class="done"><h2>2. Bapak K. <span class="st" id="st-{B}">(Diantar ✓)</span></h2><p>Jam 10:20–11:50 · RK-2 · 1 rantang</p></li>
<li id="s-{C}" data-stop="{C}"><h2>3. Ibu W. <span class="st" id="st-{C}">(Sudah sampai)</span></h2><p>Jam 09:00–12:00 · RB-7K3Q · 1 paket</p>
<label for="pin-{C}">PIN dari pasien (wajib)</label><input id="pin-{C}" inputmode="numeric" autocomplete="off" maxlength="12"><br/></li>
</ol></main><script>(function(){{if(a<b&&c>d)x();}})();</script></body></html>"#,
            if pickup {
                r#"<button class="ok" type="button" data-a="picked_up">Barang sudah saya ambil</button>"#
            } else {
                ""
            }
        )
    }

    #[test]
    fn the_page_is_read_as_its_script_reads_it() {
        let page = read_page(&sample(true)).unwrap();
        assert_eq!(page.token, "abc.def");
        assert!(page.pickup && page.script);
        let ids: Vec<String> = page.stops.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(ids, [A, B, C], "riding order");
        let [a, b, c] = &page.stops[..] else {
            panic!("three stops")
        };
        assert!(a.open && a.meal && !a.pin);
        assert_eq!(a.parcel_code.as_deref(), Some("RK-&1"));
        assert!(!b.open, "a stop handed over is not ridden again");
        assert!(c.open && c.pin && !c.meal);
        assert_eq!(c.parcel_code.as_deref(), Some("RB-7K3Q"));
        assert!(!read_page(&sample(false)).unwrap().pickup);
        // A refusal page has no token and no script.
        assert_eq!(
            read_page(
                "<html><body><main><p class=\"msg\">Tautan ini tidak sah.</p></main></body></html>"
            ),
            None
        );
    }
}
