//! Visma Connect as the simulator plays it (NOTES §1.1): `POST /connect/token` with
//! `grant_type=client_credentials`, client authentication by form fields or HTTP Basic, `scope` and `tenant_id`;
//! OAuth error JSON on failure; bearer tokens checked (known, unexpired, scope) on every API call.
//! Must not: keep or log the client secret or a token anywhere but the token table.

use super::http::{oauth_error, percent_decode, Query, Reply};
use super::state::{State, TokenGrant};
use super::SimConfig;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

/// Scopes of the ERP service API.
pub const ERP_SCOPES: [&str; 4] = [
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
];

/// Scopes of the SalesOrders v3 service.
pub const SO_SCOPES: [&str; 2] = [
    "visma.net.erp.salesorder:read",
    "visma.net.erp.salesorder:write",
];

/// Handles `POST /connect/token`.
pub fn token(
    config: &SimConfig,
    state: &mut State,
    now: DateTime<Utc>,
    authorization: Option<&str>,
    body: &[u8],
) -> Reply {
    let form = Query::parse(&String::from_utf8_lossy(body));
    if form.get("grant_type") != Some("client_credentials") {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "Only client_credentials is enabled for this client.",
        );
    }
    let basic = authorization.and_then(basic_credentials);
    let used_basic = basic.is_some();
    let (client_id, secret) = match basic {
        Some(pair) => pair,
        None => (
            form.get("client_id").unwrap_or("").to_string(),
            form.get("client_secret").unwrap_or("").to_string(),
        ),
    };
    let id_ok = client_id == config.client_id;
    let secret_ok: bool = secret
        .as_bytes()
        .ct_eq(config.client_secret.expose().as_bytes())
        .into();
    if !id_ok || !secret_ok {
        // RFC 6749 §5.2: 401 when the client authenticated with the Authorization header, else 400.
        let status = if used_basic { 401 } else { 400 };
        return oauth_error(
            status,
            "invalid_client",
            "Invalid client or client credentials.",
        );
    }
    if form.get("tenant_id").unwrap_or("") != config.tenant_id {
        // P-INV 4694: `invalid_tenant`, HTTP 400.
        return oauth_error(
            400,
            "invalid_tenant",
            "The application user or subscription is not entitled to use the API",
        );
    }
    let subscribed: &[&str] = if config.sales_orders_subscribed {
        &SO_SCOPES
    } else {
        &[]
    };
    let known: Vec<&str> = ERP_SCOPES.iter().chain(subscribed).copied().collect();
    let requested: Vec<String> = form
        .get("scope")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if let Some(bad) = requested.iter().find(|s| !known.contains(&s.as_str())) {
        return oauth_error(
            400,
            "invalid_scope",
            &format!("The scope '{bad}' is not allowed for this client."),
        );
    }
    let scopes: Vec<String> = if requested.is_empty() {
        known.iter().map(|s| s.to_string()).collect()
    } else {
        requested
    };
    let value: u128 = state.rng.gen();
    let access_token = format!("sim.{value:032x}");
    let ttl = i64::try_from(config.token_ttl_secs).unwrap_or(i64::MAX);
    let expires_at = now + chrono::Duration::seconds(ttl);
    state.tokens.insert(
        access_token.clone(),
        TokenGrant {
            expires_at,
            scopes: scopes.clone(),
        },
    );
    state.tokens_issued += 1;
    Reply::ok(json!({
        "access_token": access_token,
        "expires_in": config.token_ttl_secs,
        "token_type": "Bearer",
        "scope": scopes.join(" "),
    }))
}

/// `Basic base64(urlencode(id):urlencode(secret))` → (id, secret).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

/// Why an API call is not authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No bearer token, an unknown one, or an expired one: 401.
    Token,
    /// A valid token without the scope this call needs: 403.
    Scope(&'static str),
}

/// Checks the bearer token of an API call and that it carries `scope`.
///
/// # Errors
/// [`Denied`] saying which answer to give.
pub fn check_bearer(
    state: &State,
    now: DateTime<Utc>,
    authorization: Option<&str>,
    scope: &'static str,
) -> Result<(), Denied> {
    let header = authorization.ok_or(Denied::Token)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(Denied::Token)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Denied::Token);
    }
    let grant = state.tokens.get(token.trim()).ok_or(Denied::Token)?;
    if now >= grant.expires_at {
        return Err(Denied::Token);
    }
    if grant.scopes.iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(Denied::Scope(scope))
    }
}

/// `Authorization` as the request log shows it.
pub fn redact_authorization(header: Option<&str>) -> String {
    match header.and_then(|h| h.trim().split_once(' ')) {
        Some((scheme, _)) => format!("{scheme} ***"),
        None if header.is_some() => "***".to_string(),
        None => String::new(),
    }
}

/// The token form as the request log shows it: every field but `client_secret`, which reads `***`.
pub fn redact_form(body: &[u8]) -> Value {
    let form = Query::parse(&String::from_utf8_lossy(body));
    let map = form
        .pairs()
        .iter()
        .map(|(k, v)| {
            let shown = if k.eq_ignore_ascii_case("client_secret") {
                "***".to_string()
            } else {
                v.clone()
            };
            (k.clone(), Value::String(shown))
        })
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded_and_other_schemes_ignored() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("demo-client:s%3Acret")
        );
        assert_eq!(
            basic_credentials(&header),
            Some(("demo-client".into(), "s:cret".into()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let form = redact_form(
            b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
        );
        assert_eq!(form["client_secret"], "***");
        assert_eq!(form["client_id"], "demo-client");
        assert_eq!(redact_authorization(Some("Bearer sim.abc")), "Bearer ***");
        assert_eq!(redact_authorization(Some("garbage")), "***");
        assert_eq!(redact_authorization(None), "");
    }
}
