//! AIP-158 pagination: page sizes with defaults and bounds, and opaque page tokens.
//!
//! A token encodes the position after the last row returned (a keyset cursor, so pages stay stable while
//! rows are inserted) together with a fingerprint of the request's filters, so a token cannot be replayed
//! against a different query.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Default page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size accepted.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Why a page request was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `page_size` outside 0..=MAX_PAGE_SIZE.
    #[error(
        "page_size must be between 0 and {MAX_PAGE_SIZE} (0 means the default {DEFAULT_PAGE_SIZE})"
    )]
    Size,
    /// The token is not one this service issued for this query.
    #[error("page_token is not valid for this request; start again without a page_token")]
    Token,
}

impl PageError {
    /// Name of the request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            PageError::Size => "page_size",
            PageError::Token => "page_token",
        }
    }
}

/// Resolves the effective page size (AIP-158): 0 means the default, larger values than the maximum are
/// lowered to it, negative values are rejected.
pub fn page_size(requested: i32) -> Result<u32, PageError> {
    match u32::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(PageError::Size),
    }
}

/// Encodes a cursor (any string the service can parse back) bound to a query fingerprint.
pub fn encode_token(query_fingerprint: &str, cursor: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1|{query_fingerprint}|{cursor}"))
}

/// Decodes a token into its cursor; an empty token means the first page.
pub fn decode_token(token: &str, query_fingerprint: &str) -> Result<Option<String>, PageError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| PageError::Token)?;
    let text = String::from_utf8(bytes).map_err(|_| PageError::Token)?;
    let mut parts = text.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(fingerprint), Some(cursor)) if fingerprint == query_fingerprint => {
            Ok(Some(cursor.to_owned()))
        }
        _ => Err(PageError::Token),
    }
}

/// Ends a keyset page: `rows` was read with one row more than `size` (the probe for a next page).
/// When the probe came back, drops it and returns the token of the last row kept (its cursor from
/// `cursor`, bound to `query_fingerprint`); otherwise returns the empty token of the last page.
pub fn next_page_token<T>(
    rows: &mut Vec<T>,
    size: u32,
    query_fingerprint: &str,
    cursor: impl FnOnce(&T) -> String,
) -> String {
    let size = size as usize;
    if rows.len() <= size {
        return String::new();
    }
    rows.truncate(size);
    rows.last()
        .map(|last| encode_token(query_fingerprint, &cursor(last)))
        .unwrap_or_default()
}

/// Short stable fingerprint of the parts of a request that define the result set.
pub fn fingerprint(parts: &[&str]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Formats the keyset cursor of a list ordered by (time, id), as `micros|uuid`: every List RPC that
/// pages by creation or start time uses this one form.
pub fn time_cursor(time: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}|{id}", time.timestamp_micros())
}

/// Parses a cursor written by [`time_cursor`]; `None` when it is not one.
pub fn parse_time_cursor(cursor: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let (micros, id) = cursor.split_once('|')?;
    let micros: i64 = micros.parse().ok()?;
    let time = chrono::DateTime::from_timestamp_micros(micros)?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    Some((time, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_cursors_round_trip() {
        let time = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid");
        let id = uuid::Uuid::new_v4();
        assert_eq!(parse_time_cursor(&time_cursor(time, id)), Some((time, id)));
        assert_eq!(parse_time_cursor("nope"), None);
        assert_eq!(parse_time_cursor("12|not-a-uuid"), None);
    }

    #[test]
    fn page_size_defaults_and_bounds() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(500), Ok(500));
        assert_eq!(page_size(501), Ok(MAX_PAGE_SIZE));
        assert_eq!(page_size(-1), Err(PageError::Size));
    }

    #[test]
    fn tokens_round_trip_and_are_bound_to_the_query() {
        let query = fingerprint(&["source=lmarena"]);
        let token = encode_token(&query, "2026-11-01|42");
        assert_eq!(
            decode_token(&token, &query),
            Ok(Some("2026-11-01|42".to_owned()))
        );
        let other = fingerprint(&["source=openrouter"]);
        assert_eq!(decode_token(&token, &other), Err(PageError::Token));
        assert_eq!(decode_token("%%%", &query), Err(PageError::Token));
        assert_eq!(decode_token("", &query), Ok(None));
    }

    #[test]
    fn next_page_token_drops_the_probe_row_and_points_after_the_last_kept() {
        let mut rows = vec![1, 2, 3];
        let token = next_page_token(&mut rows, 2, "f", std::string::ToString::to_string);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(decode_token(&token, "f").unwrap(), Some("2".to_owned()));
        let mut rows = vec![1, 2];
        assert_eq!(
            next_page_token(&mut rows, 2, "f", std::string::ToString::to_string),
            ""
        );
        assert_eq!(rows, vec![1, 2]);
    }
}
