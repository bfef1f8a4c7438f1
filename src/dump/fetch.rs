//! Taking a dump from a running service's `net/http/pprof` endpoint over
//! plain HTTP (`http://127.0.0.1:6060/debug/pprof/goroutine?debug=2`):
//! bounded in time and size, every failure an error (exit 2).

use std::io::Read;
use std::time::Duration;

use super::DumpError;

/// How long connecting and the response's head may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long the body may take (a 100,000-goroutine debug=2 dump is about
/// 100 MB).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(600);
/// Largest body [`get`] keeps in memory.
pub const MAX_BODY_BYTES: u64 = 1 << 30;

fn err(url: &str, why: String) -> DumpError {
    DumpError::Url {
        url: url.to_string(),
        why,
    }
}

/// The body of a `GET`, streamed: read it with [`super::read`].
pub fn open(url: &str) -> Result<Box<dyn Read + Send>, DumpError> {
    let response = request(url)?;
    Ok(Box::new(response.into_body().into_reader()))
}

/// The body of a `GET` in memory, at most [`MAX_BODY_BYTES`].
pub fn get(url: &str) -> Result<Vec<u8>, DumpError> {
    let mut response = request(url)?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
        .map_err(|e| err(url, e.to_string()))
}

fn request(url: &str) -> Result<ureq::http::Response<ureq::Body>, DumpError> {
    let err = |why: String| err(url, why);
    if !url.starts_with("http://") {
        return Err(err(
            "only plain http:// URLs are read (net/http/pprof on a local or forwarded port)"
                .to_string(),
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(TIMEOUT))
        .timeout_recv_response(Some(TIMEOUT))
        .timeout_recv_body(Some(BODY_TIMEOUT))
        .build()
        .into();
    agent.get(url).call().map_err(|e| err(e.to_string()))
}
