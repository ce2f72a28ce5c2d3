//! Who is asking: the evaluation context of a request, built from the
//! caller's explicit attributes (a POST body's `context`, or GET query
//! parameters), then the `X-User-Id` header, the user cookie, the sticky
//! anonymous cookie and `request.cf` (country, ...), each filling in only
//! what is still missing. Explicit attributes always win.
//!
//! The anonymous id exists so that bucketing is never random: a requester
//! without a user id gets a random id once, in a cookie, and is bucketed by
//! it on every later request. Only proxied routes mint new ids (a browser
//! that follows cookies is on the other end); the evaluate endpoints use an
//! id the request already carries but never invent one, so a server calling
//! them without a `user_id` gets the core's rule: no unit, no rollout.

use edgeflags::limits::{MAX_CONTEXT_ATTRIBUTES, MAX_STRING_LEN};
use edgeflags::{Context, Value};

use crate::errors::ApiError;

/// What the request carries besides its explicit attributes.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The `X-User-Id` header.
    pub user_header: Option<&'a str>,
    /// The `Cookie` header.
    pub cookies: Option<&'a str>,
    /// Attributes from `request.cf` (`country`, `continent`, ...).
    pub cf: Vec<(&'static str, Value)>,
}

/// The `request.cf` properties a context can use: `(attribute, property)`,
/// the attribute under its snake_case name.
pub const CF_FIELDS: &[(&str, &str)] = &[
    ("country", "country"),
    ("continent", "continent"),
    ("region", "region"),
    ("region_code", "regionCode"),
    ("city", "city"),
    ("postal_code", "postalCode"),
    ("metro_code", "metroCode"),
    ("timezone", "timezone"),
    ("colo", "colo"),
    ("asn", "asn"),
    ("is_eu_country", "isEUCountry"),
];

/// The [`CF_FIELDS`] a ruleset reading `attributes` can use. Computed once
/// per compiled ruleset: reading `request.cf` is the costliest part of a
/// request in workerd, and a request needs it only for these attributes,
/// and only when the caller did not give them.
pub fn cf_fields_read(attributes: &[&str]) -> Vec<(&'static str, &'static str)> {
    CF_FIELDS.iter().copied().filter(|(attr, _)| attributes.contains(attr)).collect()
}

/// How the context got its `user_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// From the caller: context, query, header or user cookie.
    Known,
    /// From the anonymous cookie the request carried.
    Anonymous(String),
    /// Minted for this request: set it as a cookie on the response.
    Minted(String),
    /// No id at all (rollouts bucketed by `user_id` are skipped).
    Unknown,
}

/// A context from URL query pairs; `reserved` names are not attributes
/// (e.g. `default`). A name given more than once becomes a list.
pub fn from_query<I>(pairs: I, reserved: &[&str]) -> Result<Context, ApiError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut attrs: Vec<(String, Value)> = Vec::new();
    for (k, v) in pairs {
        if reserved.contains(&k.as_str()) || k.is_empty() {
            continue;
        }
        match attrs.iter_mut().find(|(name, _)| *name == k) {
            Some((_, Value::Array(items))) => items.push(Value::String(v)),
            Some((_, slot)) => {
                let first = std::mem::replace(slot, Value::Null);
                *slot = Value::Array(vec![first, Value::String(v)]);
            }
            None => attrs.push((k, Value::String(v))),
        }
    }
    Context::from_value(Value::Object(attrs)).map_err(|e| ApiError::new(400, "INVALID_CONTEXT", e.0))
}

/// Fills in `user_id` and the `request.cf` attributes the caller did not
/// give. `mint` makes a new anonymous id when nothing identifies the
/// requester (`None`: leave it unidentified).
pub fn complete(
    ctx: &mut Context,
    facts: &Facts<'_>,
    user_cookie: &str,
    anon_cookie: &str,
    mint: Option<&dyn Fn() -> String>,
) -> Result<Identity, ApiError> {
    // The limit counts what the caller sent: the attributes derived below
    // (at most `user_id`, `anonymous` and the `request.cf` fields) never
    // push a valid request over it.
    if ctx.iter().count() > MAX_CONTEXT_ATTRIBUTES {
        return Err(ApiError::new(
            400,
            "INVALID_CONTEXT",
            format!("context has more than {MAX_CONTEXT_ATTRIBUTES} attributes"),
        ));
    }
    let identity = if ctx.unit("user_id").is_some() {
        Identity::Known
    } else if let Some(id) = facts.user_header.map(str::trim).filter(|s| !s.is_empty()) {
        if id.len() > MAX_STRING_LEN {
            return Err(ApiError::new(400, "INVALID_CONTEXT", "X-User-Id is longer than the limit"));
        }
        ctx.set("user_id", Value::String(id.to_string()));
        Identity::Known
    } else if let Some(id) = cookie(facts.cookies, user_cookie).filter(|s| !s.is_empty() && s.len() <= MAX_STRING_LEN) {
        ctx.set("user_id", Value::String(id.to_string()));
        Identity::Known
    } else if let Some(id) = cookie(facts.cookies, anon_cookie).filter(|s| valid_anonymous_id(s)) {
        ctx.set("user_id", Value::String(id.to_string()));
        ctx.set("anonymous", Value::Bool(true));
        Identity::Anonymous(id.to_string())
    } else if let Some(mint) = mint {
        let id = mint();
        ctx.set("user_id", Value::String(id.clone()));
        ctx.set("anonymous", Value::Bool(true));
        Identity::Minted(id)
    } else {
        Identity::Unknown
    };
    for (name, v) in &facts.cf {
        if ctx.get(name).is_none() {
            ctx.set(name, v.clone());
        }
    }
    Ok(identity)
}

/// The value of cookie `name` in a `Cookie` header (quotes removed).
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// Anonymous ids we mint are UUIDs; accept that alphabet and size only, so
/// a cookie cannot smuggle odd text into contexts and headers.
pub fn valid_anonymous_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `Set-Cookie` value for a minted anonymous id (one year; `Secure`
/// on https).
pub fn anonymous_cookie(name: &str, id: &str, https: bool) -> String {
    format!("{name}={id}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}", if https { "; Secure" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn cf_fields() {
        assert_eq!(cf_fields_read(&["country", "plan", "user_id"]), vec![("country", "country")]);
        assert_eq!(cf_fields_read(&["is_eu_country", "asn"]), vec![("asn", "asn"), ("is_eu_country", "isEUCountry")]);
        assert!(cf_fields_read(&["plan"]).is_empty());
    }

    #[test]
    fn query_pairs() {
        let pairs = [("plan", "pro"), ("group", "a"), ("group", "b"), ("default", "x"), ("group", "c")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let c = from_query(pairs, &["default"]).unwrap();
        assert_eq!(c.get("plan"), Some(&s("pro")));
        assert_eq!(c.get("group"), Some(&Value::Array(vec![s("a"), s("b"), s("c")])));
        assert_eq!(c.get("default"), None);
    }

    #[test]
    fn precedence() {
        let facts = Facts {
            user_header: Some("hdr"),
            cookies: Some("ef_uid=cookie; ef_anon=anon-12345678"),
            cf: vec![("country", s("CA"))],
        };
        let mut c = Context::new();
        c.set("user_id", s("explicit"));
        c.set("country", s("US"));
        assert_eq!(complete(&mut c, &facts, "ef_uid", "ef_anon", None).unwrap(), Identity::Known);
        assert_eq!((c.get("user_id"), c.get("country")), (Some(&s("explicit")), Some(&s("US"))));

        let mut c = Context::new();
        complete(&mut c, &facts, "ef_uid", "ef_anon", None).unwrap();
        assert_eq!((c.get("user_id"), c.get("country")), (Some(&s("hdr")), Some(&s("CA"))));

        let no_header = Facts { user_header: None, ..facts.clone() };
        let mut c = Context::new();
        complete(&mut c, &no_header, "ef_uid", "ef_anon", None).unwrap();
        assert_eq!(c.get("user_id"), Some(&s("cookie")));

        let anon_only = Facts { user_header: None, cookies: Some("ef_anon=anon-12345678"), cf: vec![] };
        let mut c = Context::new();
        let id = complete(&mut c, &anon_only, "ef_uid", "ef_anon", None).unwrap();
        assert_eq!(id, Identity::Anonymous("anon-12345678".into()));
        assert_eq!(c.get("anonymous"), Some(&Value::Bool(true)));
    }

    #[test]
    fn minting_only_when_asked_and_needed() {
        let bare = Facts::default();
        let mut c = Context::new();
        assert_eq!(complete(&mut c, &bare, "u", "a", None).unwrap(), Identity::Unknown);
        assert_eq!(c.get("user_id"), None);
        let mint = || "0f3c2a1e-aaaa-bbbb-cccc-000000000000".to_string();
        let mut c = Context::new();
        let id = complete(&mut c, &bare, "u", "a", Some(&mint)).unwrap();
        assert_eq!(id, Identity::Minted(mint()));
        // A forged anonymous cookie is not used: a fresh id is minted.
        let forged = Facts { cookies: Some("a=<script>"), ..Facts::default() };
        let mut c = Context::new();
        assert_eq!(complete(&mut c, &forged, "u", "a", Some(&mint)).unwrap(), Identity::Minted(mint()));
    }

    #[test]
    fn derived_attributes_do_not_count_toward_the_limit() {
        let full = || {
            let attrs = (0..MAX_CONTEXT_ATTRIBUTES).map(|i| (format!("a{i}"), Value::Number(i as f64))).collect();
            Context::from_value(Value::Object(attrs)).unwrap()
        };
        let facts = Facts {
            user_header: Some("u1"),
            cookies: None,
            cf: vec![("country", s("CA")), ("asn", Value::Number(13335.0))],
        };
        let mut c = full();
        complete(&mut c, &facts, "ef_uid", "ef_anon", None).unwrap();
        assert_eq!(c.iter().count(), MAX_CONTEXT_ATTRIBUTES + 3);
        assert_eq!(c.get("country"), Some(&s("CA")));
        let mut over = full();
        over.set("one_more", Value::Bool(true));
        let e = complete(&mut over, &facts, "ef_uid", "ef_anon", None).unwrap_err();
        assert_eq!((e.status, e.code), (400, "INVALID_CONTEXT"));
    }

    #[test]
    fn cookies() {
        assert_eq!(cookie(Some("a=1; b=\"two\"; c"), "b"), Some("two"));
        assert_eq!(cookie(Some("ab=1"), "a"), None);
        assert_eq!(cookie(None, "a"), None);
        assert!(anonymous_cookie("ef_anon", "x", true).ends_with("; Secure"));
        assert!(!valid_anonymous_id("short"));
    }
}
