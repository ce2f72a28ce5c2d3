//! The Worker's management API over HTTP (docs/worker.md): a blocking
//! ureq agent, the admin token from `EDGEFLAGS_TOKEN`, and every answer
//! that is not a success turned into a [`Fail`] with its exit code.
//!
//! Redirects are not followed (a `PUT` must not be replayed elsewhere);
//! answers are read up to [`MAX_ANSWER_BYTES`].

use std::time::Duration;

use edgeflags::Value;

use crate::fail::{Exit, Fail};

/// The environment variable holding the admin token.
pub const TOKEN_ENV: &str = "EDGEFLAGS_TOKEN";
/// The environment variable `--url` falls back to.
pub const URL_ENV: &str = "EDGEFLAGS_URL";
/// Twice the Worker's ruleset limit (16 MiB), for the JSON around it.
const MAX_ANSWER_BYTES: u64 = 2 * edgeflags::limits::MAX_RULESET_BYTES as u64;
/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Pages of `GET /v1/versions` or `/v1/audit` read at most (1,000 entries each).
pub const MAX_PAGES: usize = 1000;

pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// A successful answer.
pub struct Answer {
    pub etag: Option<u64>,
    pub body: Value,
}

impl Client {
    /// `url` from `--url` or `EDGEFLAGS_URL`: an `http://` or `https://`
    /// origin, optionally with a path prefix (the API is under `/v1`).
    pub fn new(url: Option<&str>) -> Result<Client, Fail> {
        let env = std::env::var(URL_ENV).ok().filter(|u| !u.trim().is_empty());
        let Some(url) = url.map(str::to_string).or(env) else {
            return Err(Fail::usage(format!("this command needs the Worker's address: --url URL (or {URL_ENV})")));
        };
        let base = url.trim().trim_end_matches('/').to_string();
        let rest = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(['?', '#', ' '])) {
            return Err(Fail::usage(format!("--url must be an http:// or https:// address, not \"{url}\"")));
        }
        let token = std::env::var(TOKEN_ENV).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("edgeflags-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client { base, token, agent })
    }

    /// `token` instead of `EDGEFLAGS_TOKEN` (`--token`), when given.
    pub fn with_token(mut self, token: Option<String>) -> Client {
        if let Some(t) = token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            self.token = Some(t);
        }
        self
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The address the commands talk to.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn get(&self, path: &str) -> Result<Answer, Fail> {
        self.send("GET", path, None, None)
    }

    /// A request; `path` starts with `/v1`. `body` is sent as JSON;
    /// `if_match` as `If-Match: "<version>"`.
    pub fn send(&self, method: &str, path: &str, body: Option<&[u8]>, if_match: Option<u64>) -> Result<Answer, Fail> {
        let url = format!("{}{path}", self.base);
        let mut headers: Vec<(&str, String)> = vec![("Accept", "application/json".into())];
        if let Some(t) = &self.token {
            headers.push(("Authorization", format!("Bearer {t}")));
        }
        if let Some(v) = if_match {
            headers.push(("If-Match", format!("\"{v}\"")));
        }
        let result = match method {
            "GET" => headers.iter().fold(self.agent.get(&url), |r, (k, v)| r.header(*k, v)).call(),
            "PUT" | "POST" => {
                let r = if method == "PUT" { self.agent.put(&url) } else { self.agent.post(&url) };
                let r = headers.iter().fold(r, |r, (k, v)| r.header(*k, v));
                match body {
                    Some(b) => r.content_type("application/json").send(b),
                    None => r.send_empty(),
                }
            }
            _ => return Err(Fail::usage(format!("unsupported method {method}"))),
        };
        let mut res = result.map_err(|e| network(&self.base, &url, e))?;
        let status = res.status().as_u16();
        let etag = res.headers().get("etag").and_then(|v| v.to_str().ok()).and_then(etag_version);
        let text = res
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| network(&self.base, &url, e))?;
        let body = Value::parse(&text).ok();
        if (200..300).contains(&status) {
            let body = body.ok_or_else(|| {
                Fail::new(
                    Exit::Server,
                    "BAD_ANSWER",
                    format!(
                        "{method} {url} answered {status} with a body that is not JSON: is this an edgeflags Worker?"
                    ),
                )
            })?;
            return Ok(Answer { etag, body });
        }
        Err(refused(self.token.is_some(), method, &url, status, body.unwrap_or(Value::Null)))
    }

    /// Every entry of a paged listing (`/v1/versions` -> `versions`,
    /// `/v1/audit` -> `entries`), oldest first, and the `current` version.
    pub fn list_all(&self, path: &str, member: &str) -> Result<(Option<u64>, Vec<Value>), Fail> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut current = None;
        for _ in 0..MAX_PAGES {
            let mut p = format!("{path}?limit=1000");
            if let Some(c) = &cursor {
                p.push_str("&cursor=");
                p.push_str(&percent_encode(c));
            }
            let page = self.get(&p)?.body;
            current = page.get("current").and_then(version_number);
            if let Some(Value::Array(items)) = page.get(member) {
                out.extend(items.iter().cloned());
            }
            match page.get("cursor").and_then(Value::as_str) {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => break,
            }
        }
        Ok((current, out))
    }
}

/// A transport failure: exit 3, naming the address.
fn network(base: &str, url: &str, e: ureq::Error) -> Fail {
    let why = match &e {
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (is the Worker running at that address?)".into()
            }
            _ => io.to_string(),
        },
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::BodyExceedsLimit(n) => format!("the answer is larger than {n} bytes"),
        other => other.to_string(),
    };
    Fail::new(Exit::Network, "NETWORK_ERROR", format!("cannot reach {base}: {why}"))
        .with("url", Value::String(url.to_string()))
}

/// An answer that is not a success, as its failure.
fn refused(has_token: bool, method: &str, url: &str, status: u16, body: Value) -> Fail {
    let err = body.get("error");
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_str).unwrap_or("").to_string();
    let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("").to_string();
    let said = if message.is_empty() { String::new() } else { format!(" (the server said: {message})") };
    let code_or = |d: &str| if code.is_empty() { d.to_string() } else { code.clone() };
    let mut f = match status {
        401 if !has_token => Fail::new(
            Exit::Auth,
            &code_or("UNAUTHORIZED"),
            format!("{url} needs an admin token: set {} to one", crate::client::TOKEN_ENV),
        ),
        401 | 403 if code == "ADMIN_DISABLED" => Fail::new(
            Exit::Auth,
            &code,
            format!("the management API of this Worker is off (no admin token configured){said}"),
        ),
        401 | 403 => Fail::new(
            Exit::Auth,
            &code_or("FORBIDDEN"),
            format!("the token in {} was refused by {url} ({status}): is it an admin token of this Worker?", TOKEN_ENV),
        ),
        412 => {
            let current = body.get("current").or_else(|| err.and_then(|e| e.get("current")));
            let now = current.and_then(version_number).map_or(String::new(), |v| format!(" (live is now version {v})"));
            Fail::new(
                Exit::Conflict,
                &code_or("VERSION_CONFLICT"),
                format!("someone changed the ruleset meanwhile{now}: nothing was published; run the command again to see the new diff"),
            )
            .with("current", current.cloned().unwrap_or(Value::Null))
        }
        409 => Fail::new(Exit::Conflict, &code_or("CONFLICT"), format!("the server asked to retry{said}")),
        422 => {
            let mut f =
                Fail::new(Exit::Invalid, &code_or("INVALID_RULESET"), format!("the server refused the ruleset{said}"));
            if let Some(Value::Array(ps)) = err.and_then(|e| e.get("problems")) {
                f.details = ps
                    .iter()
                    .map(|p| {
                        let path = p.get("path").and_then(Value::as_str).unwrap_or("");
                        let m = p.get("message").and_then(Value::as_str).unwrap_or("");
                        if path.is_empty() {
                            m.to_string()
                        } else {
                            format!("{path}: {m}")
                        }
                    })
                    .collect();
                f = f.with("problems", Value::Array(ps.clone()));
            }
            f
        }
        _ if message.is_empty() => Fail::new(
            Exit::Server,
            &code_or("BAD_ANSWER"),
            format!(
                "{method} {url} answered {status}{}",
                if err.is_none() { " (not an edgeflags error body)" } else { "" }
            ),
        ),
        _ => Fail::new(Exit::Server, &code, format!("{method} {url} answered {status}: {message}")),
    };
    f = f.with("status", Value::Number(status as f64));
    f
}

/// A whole, positive version number.
pub fn version_number(v: &Value) -> Option<u64> {
    match v.as_f64() {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Some(n as u64),
        _ => None,
    }
}

/// `"7"`, `W/"7"` -> 7.
fn etag_version(t: &str) -> Option<u64> {
    let t = t.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').parse().ok()
}

/// A query value, percent-encoded (RFC 3986 unreserved kept).
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
