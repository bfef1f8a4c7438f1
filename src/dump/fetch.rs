//! Taking a dump from a running service's `net/http/pprof` endpoint over
//! plain HTTP (`http://127.0.0.1:6060/debug/pprof/goroutine?debug=2`):
//! bounded in time and size, every failure an error (exit 2).

use std::time::Duration;

use super::{DumpError, MAX_PROTO_BYTES};

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The body of a `GET`, at most [`MAX_PROTO_BYTES`].
pub fn get(url: &str) -> Result<Vec<u8>, DumpError> {
    get_with(url, TIMEOUT)
}

/// [`get`] with a time limit.
pub fn get_with(url: &str, timeout: Duration) -> Result<Vec<u8>, DumpError> {
    let err = |why: String| DumpError::Url {
        url: url.to_string(),
        why,
    };
    if !url.starts_with("http://") {
        return Err(err(
            "only plain http:// URLs are read (net/http/pprof on a local or forwarded port)"
                .to_string(),
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| err(e.to_string()))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_PROTO_BYTES)
        .read_to_vec()
        .map_err(|e| err(e.to_string()))
}
