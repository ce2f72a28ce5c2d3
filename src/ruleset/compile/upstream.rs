//! Upstream origins of routes, checked when the ruleset loads so that a
//! routed request can never fail on a URL: a strict subset of what every
//! URL parser (WHATWG's, the `url` crate's, workerd's `fetch`) reads the
//! same way.
//!
//! Written here rather than taken from the `url` crate: `url` pulls `idna`
//! into the browser package, which measured +69.8 KB gzipped of wasm
//! (+24.3 KB even with the ASCII-only `idna_adapter` 1.0) for one check at
//! load (docs/ARCHITECTURE.md, "Hand-written where a crate exists"). The
//! grammar accepted is small enough to state in full:
//!
//! ```text
//! upstream = scheme "://" host [ ":" port ] [ path ]
//! scheme   = "http" / "https"                   (any case; stored lower)
//! host     = dns-name / IPv4 / "[" IPv6 "]"     (std's address parsers)
//! dns-name = label *( "." label ), at most 253 bytes; a label is 1-63 of
//!            A-Z a-z 0-9 - _, not starting or ending with "-"; the last
//!            label is not all digits (that would be an IPv4 address)
//! port     = 1-65535, no leading zero
//! path     = 1*( "/" segment ), a segment 1+ RFC 3986 pchars (unreserved,
//!            sub-delims, ":", "@", or %XX), not "." or ".." (encoded or not)
//! ```
//!
//! Printable ASCII only: no spaces, controls or non-ASCII (international
//! names in their `xn--` form), no user information (`user:pw@`), no query
//! or fragment. A trailing `/` is dropped (the proxy appends a path that
//! starts with `/`).

use std::net::{Ipv4Addr, Ipv6Addr};

/// `url` checked and normalized (scheme and host lower-cased, trailing
/// `/` dropped), or the problem's message.
pub(super) fn upstream(url: &str) -> Result<String, &'static str> {
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("contains a space, a control or a non-ASCII character \
                    (write international host names in their xn-- form, percent-encode the path)");
    }
    // Byte prefixes rather than a substring search: this code is in the
    // browser's wasm too, and `str::find(&str)` brings its searcher along.
    let prefix = |p: &str| url.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let scheme = match () {
        _ if prefix("http://") => "http",
        _ if prefix("https://") => "https",
        _ => return Err("must start with http:// or https://"),
    };
    let rest = &url[scheme.len() + 3..];
    if rest.contains(['?', '#']) {
        return Err("must not have a query or fragment (? or #)");
    }
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if authority.contains('@') {
        return Err("must not contain user information (user:password@)");
    }
    let (host, port) = split_host_port(authority)?;
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    out.push_str("://");
    out.push_str(&host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(p);
    }
    let path = path.trim_end_matches('/');
    check_path(path)?;
    out.push_str(path);
    Ok(out)
}

/// The host (checked, lower case) and the port text (checked), if any.
fn split_host_port(authority: &str) -> Result<(String, Option<&str>), &'static str> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or("has an IPv6 host without its closing ]")?;
        addr.parse::<Ipv6Addr>().map_err(|_| "has an invalid IPv6 address")?;
        let port = match after {
            "" => None,
            a => Some(a.strip_prefix(':').ok_or("has text after the IPv6 address")?),
        };
        (authority[..addr.len() + 2].to_ascii_lowercase(), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        check_host(host)?;
        (host.to_ascii_lowercase(), port)
    };
    if let Some(p) = port {
        let valid = !p.is_empty()
            && p.len() <= 5
            && !p.starts_with('0')
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !valid {
            return Err("has an invalid port (1 to 65535, without leading zeros)");
        }
    }
    Ok((host, port))
}

fn check_host(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("needs a host");
    }
    let last = host.bytes().rposition(|b| b == b'.').map_or(host, |i| &host[i + 1..]);
    // WHATWG URL reads a host whose last label is a number as IPv4
    // (`1.2.3`, `0x7f.1`): only the dotted-quad form is accepted.
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.len() > 1
                && last[..2].eq_ignore_ascii_case("0x")
                && last[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if numeric {
        return match host.parse::<Ipv4Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err("has an invalid IPv4 address (four numbers 0-255, no leading zeros)"),
        };
    }
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.len() > 253 || !host.split('.').all(label_ok) {
        return Err("has an invalid host name (labels of 1-63 letters, digits, - or _, separated by dots)");
    }
    Ok(())
}

/// The path of an upstream (without its trailing `/`).
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Ok(());
    }
    for segment in path.split('/').skip(1) {
        if segment.is_empty() {
            return Err("has an empty path segment (//)");
        }
        let bytes = segment.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return Err("has a % in its path not followed by two hex digits");
                }
                i += 3;
                continue;
            }
            let pchar = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
            if !pchar {
                return Err("has a character in its path that must be percent-encoded");
            }
            i += 1;
        }
        if is_dot_segment(segment) {
            return Err("has a . or .. segment in its path");
        }
    }
    Ok(())
}

/// `.` or `..`, each dot written as `.` or `%2E` (any case).
fn is_dot_segment(segment: &str) -> bool {
    let b = segment.as_bytes();
    let (mut i, mut dots) = (0, 0);
    while i < b.len() {
        if b[i] == b'.' {
            i += 1;
        } else if b[i] == b'%' && b.get(i + 1) == Some(&b'2') && matches!(b.get(i + 2), Some(b'e' | b'E')) {
            i += 3;
        } else {
            return false;
        }
        dots += 1;
    }
    (1..=2).contains(&dots)
}

#[cfg(test)]
mod tests {
    use super::upstream;

    #[test]
    fn accepts_and_normalizes_origins() {
        for (url, want) in [
            ("http://127.0.0.1:9002/", "http://127.0.0.1:9002"),
            ("https://stable.example", "https://stable.example"),
            ("HTTPS://Stable.Example:443/Base/", "https://stable.example:443/Base"),
            ("http://v2.internal:8080/base", "http://v2.internal:8080/base"),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://[2001:DB8::1]", "http://[2001:db8::1]"),
            ("http://orders_v2.svc.cluster.local", "http://orders_v2.svc.cluster.local"),
            ("http://localhost:65535", "http://localhost:65535"),
            ("http://xn--caf-dma.example/a%20b/c;d=1/~x", "http://xn--caf-dma.example/a%20b/c;d=1/~x"),
            ("http://a.b-c.d9", "http://a.b-c.d9"),
            ("http://a//", "http://a"),
            ("http://a/.../x%2e%2e%2e/%2ex", "http://a/.../x%2e%2e%2e/%2ex"),
        ] {
            assert_eq!(upstream(url).as_deref(), Ok(want), "{url}");
        }
    }

    #[test]
    fn refuses_what_a_request_would_fail_on() {
        for url in [
            "http://exa mple",
            "http://example\n",
            "http://ex\u{e4}mple.com",
            "http://a\tb",
            "ftp://example.com",
            "example.com",
            "//example.com",
            "http:/example.com",
            "http://",
            "http://:80",
            "http://user:pw@example.com",
            "http://@example.com",
            "http://example.com?x=1",
            "http://example.com/a#frag",
            "http://example.com:0",
            "http://example.com:65536",
            "http://example.com:",
            "http://example.com:08080",
            "http://example.com:+80",
            "http://example.com:8a",
            "http://[::1",
            "http://[::g]",
            "http://[::1]x",
            "http://::1",
            "http://1.2.3",
            "http://256.1.1.1",
            "http://01.2.3.4",
            "http://0x7f.0.0.1",
            "http://a.0x7f",
            "http://example.123",
            "http://-a.example",
            "http://a-.example",
            "http://a..b",
            "http://.a",
            "http://a.",
            "http://a/b//c",
            "http://a/./b",
            "http://a/b/..",
            "http://a/%2E%2e/b",
            "http://a/x/%2e",
            "http://a/.%2E/b",
            "http://a/b%2",
            "http://a/b%zz",
            "http://a/[x]",
            "http://a/\"x\"",
            "http://a/x|y",
        ] {
            assert!(upstream(url).is_err(), "{url:?}");
        }
        let long_label = format!("http://{}.example", "a".repeat(64));
        assert!(upstream(&long_label).is_err());
        let long_host = format!("http://{}", ["abc"; 64].join("."));
        assert!(upstream(&long_host).is_err(), "{} bytes", long_host.len() - 7);
    }
}
