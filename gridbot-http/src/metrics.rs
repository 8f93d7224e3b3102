//! Prometheus metrics kept by hand: a request counter by method, route
//! template and status, a latency histogram by route template, and the
//! number of open event streams. Rendered in the text exposition format at
//! `GET /metrics`.
//!
//! Route labels are axum's matched templates (`/api/v1/multibot/bots/{id}`),
//! never raw paths, so label cardinality stays bounded; unmatched requests
//! are labelled `unmatched`.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Everything recorded for one route template.
#[derive(Debug, Default, Clone)]
struct RouteStats {
    latency: Histogram,
    /// Requests by (method, status); a handful per route, so a list.
    answered: Vec<(Method, u16, u64)>,
}

/// The metrics registry.
///
/// Recording a request takes one short lock and allocates only the first
/// time a route is seen (hot path: a hash lookup by `&str` and a scan of a
/// few (method, status) pairs).
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<HashMap<String, RouteStats>>,
    streams: AtomicI64,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        self.record(&method, route, status, seconds);
    }

    fn record(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let r = match routes.get_mut(route) {
            Some(r) => r,
            None => routes.entry(route.to_owned()).or_default(),
        };
        match r.answered.iter_mut().find(|(m, s, _)| m == method && *s == status) {
            Some((_, _, n)) => *n += 1,
            None => r.answered.push((method.clone(), status, 1)),
        }
        let h = &mut r.latency;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Counts an opened (`+1`) or closed (`-1`) event stream.
    pub fn stream_delta(&self, delta: i64) {
        self.streams.fetch_add(delta, Ordering::Relaxed);
    }

    /// The registry in Prometheus text format (routes in name order).
    pub fn render(&self) -> String {
        let routes: BTreeMap<String, RouteStats> = match self.routes.lock() {
            Ok(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => BTreeMap::new(),
        };
        let mut out = String::new();
        out.push_str("# HELP gridbot_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE gridbot_http_requests_total counter\n");
        for (route, r) in &routes {
            let mut answered = r.answered.clone();
            answered.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
            for (method, status, n) in answered {
                let _ = writeln!(
                    out,
                    "gridbot_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP gridbot_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE gridbot_http_request_duration_seconds histogram\n");
        for (route, r) in &routes {
            let h = &r.latency;
            let route = escape(route);
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "gridbot_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "gridbot_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "gridbot_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "gridbot_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP gridbot_http_event_streams Open /stream connections.\n");
        out.push_str("# TYPE gridbot_http_event_streams gauge\n");
        let _ = writeln!(
            out,
            "gridbot_http_event_streams {}",
            self.streams.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware recording every request in [`Metrics`].
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    state.metrics.record(
        &method,
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counted_per_route() {
        let m = Metrics::default();
        m.observe("GET", "/a", 200, 0.002);
        m.observe("GET", "/a", 404, 0.2);
        let text = m.render();
        assert!(text.contains("gridbot_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 1"));
        assert!(text.contains("gridbot_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0025\"} 1"));
        assert!(text.contains("gridbot_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.25\"} 2"));
        assert!(text.contains("gridbot_http_request_duration_seconds_count{route=\"/a\"} 2"));
    }
}
