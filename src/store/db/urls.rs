//! Database URLs: the store's own `prefix` parameter (which the drivers do not know) and passwords kept out of
//! messages.

/// The value of `name` in a URL's query (`?prefix=wp_mlc_`), percent-decoding not needed for the names used.
pub(crate) fn url_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// `url` with `name=value` set in its query (replacing any earlier value).
pub(crate) fn with_param(url: &str, name: &str, value: &str) -> String {
    let base = strip_param(url, name);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{name}={value}")
}

/// `url` without `name` in its query (the drivers refuse options they do not know).
pub(crate) fn strip_param(url: &str, name: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// A password never reaches a message: `scheme://user:secret@host/db` becomes `scheme://user@host/db`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (Some(auth), host),
        None => (None, rest),
    };
    let host = host.split('?').next().unwrap_or(host);
    match auth {
        Some(a) => {
            let user = a.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_set_read_and_removed() {
        let url = with_param("postgres://u@h/db?sslmode=disable", "prefix", "mlc_a_");
        assert_eq!(url, "postgres://u@h/db?sslmode=disable&prefix=mlc_a_");
        assert_eq!(url_param(&url, "prefix").as_deref(), Some("mlc_a_"));
        assert_eq!(
            strip_param(&url, "prefix"),
            "postgres://u@h/db?sslmode=disable"
        );
        assert_eq!(
            with_param(&url, "prefix", "b_"),
            "postgres://u@h/db?sslmode=disable&prefix=b_"
        );
        assert_eq!(
            strip_param("postgres://u@h/db?prefix=x", "prefix"),
            "postgres://u@h/db"
        );
    }

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact_url("postgres://mlc:s3cret@db.example/queue?sslmode=require"),
            "postgres://mlc@db.example/queue"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/wp"),
            "mysql://root@127.0.0.1/wp"
        );
        assert_eq!(redact_url("/var/lib/q.sqlite"), "/var/lib/q.sqlite");
    }
}
