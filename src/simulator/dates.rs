//! The date formats the ERP accepts in query parameters and bodies (SPEC25 `lastModifiedDateTime` text:
//! `yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss[.FFF]`, `yyyy-MM-ddTHH:mm:ss[.FFF]`; bodies also carry RFC 3339 with a zone,
//! NOTES §4.1). Pure parsing, no clock.

/// The date formats SPEC25 lists for `lastModifiedDateTime` plus RFC 3339 with a zone (bodies use both).
pub fn parse_date_time(s: &str) -> Option<chrono::NaiveDateTime> {
    use chrono::NaiveDateTime;
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.naive_utc());
    }
    let trimmed = s.strip_suffix('Z').unwrap_or(s);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(trimmed, f) {
            return Some(d);
        }
    }
    chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_of_spec25_parse() {
        for s in [
            "2025-01-14",
            "2025-01-14 10:00:00",
            "2025-01-14 10:00:00.123",
            "2025-01-14T10:00:00",
            "2025-01-14T10:00:00.123",
            "2025-01-14T10:00:00Z",
            "2025-01-14T10:00:00+02:00",
        ] {
            assert!(parse_date_time(s).is_some(), "{s}");
        }
        assert!(parse_date_time("14.01.2025").is_none());
    }
}
