//! A cache of rendered list pages. An entry is served only while the store's change token
//! (which moves with every committed write, from any process) and today's date are the ones
//! it was rendered under, so a reader never sees a page older than the last write. Reads of
//! an unchanged organisation then cost one token check instead of queries and rendering.

use crate::AppState;
use crate::error::ApiResult;
use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

const MAX_ENTRIES: usize = 1024;
const MAX_BYTES: usize = 64 * 1024 * 1024;

struct Entry {
    token: String,
    today: NaiveDate,
    etag: String,
    body: Bytes,
}

pub struct PageCache {
    entries: Mutex<(HashMap<String, Entry>, usize)>,
    enabled: bool,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache { entries: Mutex::default(), enabled: true }
    }
}

impl PageCache {
    /// A cache that keeps nothing: every request renders (benchmarks of the render path).
    pub fn disabled() -> Self {
        PageCache { entries: Mutex::default(), enabled: false }
    }

    fn get(&self, key: &str, token: &str, today: NaiveDate) -> Option<(String, Bytes)> {
        if !self.enabled {
            return None;
        }
        let guard = self.entries.lock().expect("cache lock");
        let e = guard.0.get(key)?;
        (e.token == token && e.today == today).then(|| (e.etag.clone(), e.body.clone()))
    }

    fn put(&self, key: String, token: String, today: NaiveDate, body: Bytes) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&key, &token, today).hash(&mut h);
        let etag = format!("\"{:016x}\"", h.finish());
        let mut guard = self.entries.lock().expect("cache lock");
        let (map, bytes) = &mut *guard;
        // Bounded: when full, start over rather than track recency; pages re-render cheaply.
        if map.len() >= MAX_ENTRIES || *bytes + body.len() > MAX_BYTES {
            map.clear();
            *bytes = 0;
        }
        *bytes += body.len();
        if let Some(old) = map.insert(key, Entry { token, today, etag: etag.clone(), body }) {
            *bytes -= old.body.len();
        }
        etag
    }
}

/// Answers a GET from the cache when nothing was written since it was rendered, else
/// renders it with `render` and keeps it. Honours `If-None-Match` with 304.
pub async fn cached_json<T, F, Fut>(
    state: &AppState,
    key: String,
    headers: &HeaderMap,
    render: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, quarterdeck_app::AppError>>,
{
    let token = state.app.change_token().await?;
    let today = state.app.today();
    let (etag, body) = match state.cache.get(&key, &token, today) {
        Some(hit) => hit,
        None => {
            // Something was written (or the day turned): the time zone may have been set by
            // another server, so read it again before rendering.
            state.app.refresh_settings().await?;
            let value = render().await?;
            let body = Bytes::from(serde_json::to_vec(&value).map_err(|e| {
                tracing::error!(error = %e, "rendering a page failed");
                crate::error::ApiError::new(quarterdeck_domain::error::Code::Internal, "the page could not be rendered")
            })?);
            let etag = state.cache.put(key, token, today, body.clone());
            (etag, body)
        }
    };
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response());
    }
    Ok(([(CONTENT_TYPE, "application/json".to_owned()), (ETAG, etag), (CACHE_CONTROL, "no-cache".to_owned())], body)
        .into_response())
}
