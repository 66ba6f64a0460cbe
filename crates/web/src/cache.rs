//! A cache of rendered list pages. An entry is served only while the store's change token
//! (which moves with every committed write, from any process) and today's date are the ones
//! it was rendered under, so a reader never sees a page older than the last write. Reads of
//! an unchanged organisation then cost one token check instead of queries and rendering.
//! After a write, a page is rendered once: the requests that arrive while it renders wait for
//! that render instead of each rendering the same page (no thundering herd).

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
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

const MAX_ENTRIES: usize = 1024;
const MAX_BYTES: usize = 64 * 1024 * 1024;

struct Entry {
    token: String,
    today: NaiveDate,
    etag: String,
    body: Bytes,
}

/// A page under one change token and day.
type Version = (String, String, NaiveDate);
/// One render of a page, shared by every request that waits for it: (etag, body).
type Render = Arc<OnceCell<(String, Bytes)>>;

pub struct PageCache {
    entries: Mutex<(HashMap<String, Entry>, usize)>,
    /// Renders under way, by page version.
    rendering: Mutex<HashMap<Version, Render>>,
    enabled: bool,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache { entries: Mutex::default(), rendering: Mutex::default(), enabled: true }
    }
}

impl PageCache {
    /// A cache that keeps nothing: every request renders (benchmarks of the render path).
    pub fn disabled() -> Self {
        PageCache { entries: Mutex::default(), rendering: Mutex::default(), enabled: false }
    }

    /// The render of this page version: the one under way, or a new one.
    fn render_of(&self, version: &Version) -> Render {
        let mut rendering = self.rendering.lock().expect("render lock");
        // Bounded: a render whose requests all went away may leave its slot behind.
        if rendering.len() >= MAX_ENTRIES {
            rendering.retain(|_, r| Arc::strong_count(r) > 1);
        }
        rendering.entry(version.clone()).or_default().clone()
    }

    /// The render of this version is done (its page is in `entries`, or it failed).
    fn rendered(&self, version: &Version) {
        self.rendering.lock().expect("render lock").remove(version);
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
    let render_now = || async {
        // Something was written (or the day turned): the time zone may have been set by
        // another server, so read it again before rendering.
        state.app.refresh_settings().await?;
        let value = render().await?;
        let body = Bytes::from(serde_json::to_vec(&value).map_err(|e| {
            tracing::error!(error = %e, "rendering a page failed");
            crate::error::ApiError::new(quarterdeck_domain::error::Code::Internal, "the page could not be rendered")
        })?);
        let etag = state.cache.put(key.clone(), token.clone(), today, body.clone());
        Ok::<_, crate::error::ApiError>((etag, body))
    };
    let (etag, body) = match state.cache.get(&key, &token, today) {
        Some(hit) => hit,
        None if !state.cache.enabled => render_now().await?,
        None => {
            // One render per page version: whoever comes first renders, the others wait for it.
            // The version was read before the render starts, so what it renders is never older.
            let version = (key.clone(), token.clone(), today);
            let render = state.cache.render_of(&version);
            let done = render.get_or_try_init(render_now).await.cloned();
            state.cache.rendered(&version);
            done?
        }
    };
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response());
    }
    Ok(([(CONTENT_TYPE, "application/json".to_owned()), (ETAG, etag), (CACHE_CONTROL, "no-cache".to_owned())], body)
        .into_response())
}
