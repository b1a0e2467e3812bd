//! Addresses of the dashboard's pages and API, with run names
//! percent-encoded as one path segment (a run name may hold spaces or
//! non-ASCII letters; it never holds `/` or `%`, see `runs::is_plain_name`).

/// `name` encoded as one path segment or query value: every byte that is
/// not an unreserved character (RFC 3986) is percent-encoded.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The population page of a run.
pub fn run(name: &str) -> String {
    format!("/runs/{}", encode(name))
}

/// The citizens index of a run (search box and tracked citizens).
pub fn citizens(name: &str) -> String {
    format!("/runs/{}/citizens", encode(name))
}

/// The page of one citizen of a run.
pub fn citizen(name: &str, id: u32) -> String {
    format!("/runs/{}/citizens/{id}", encode(name))
}

/// An API resource of a run, e.g. `api(name, "summary")`.
pub fn api(name: &str, what: &str) -> String {
    format!("/api/runs/{}/{what}", encode(name))
}

/// The comparison of two runs.
pub fn compare(a: &str, b: &str) -> String {
    format!("/compare?a={}&b={}", encode(a), encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_segment() {
        assert_eq!(encode("seed-article-1"), "seed-article-1");
        assert_eq!(encode("my run/é"), "my%20run%2F%C3%A9");
        assert_eq!(citizen("a b", 7), "/runs/a%20b/citizens/7");
        assert_eq!(compare("x", "y&z"), "/compare?a=x&b=y%26z");
    }
}
