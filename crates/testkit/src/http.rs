//! A minimal HTTP/1.1 client for tests: GET and POST to a local server with a
//! timeout, giving the status, headers and body.
//!
//! The services under test (the API, the embedded producer, the trap listener's
//! metrics) are on loopback; a client library would be one more dependency of
//! every test build for what is one request per call with `Connection: close`.
//! It understands `Content-Length`, `Transfer-Encoding: chunked` and
//! read-to-close bodies, which covers what hyper and axum send.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use crate::TestkitError;

/// The timeout of [`get`] and [`post`]: connecting, and each read and write.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, decoded lossily as UTF-8.
    pub body: String,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, TestkitError> {
        serde_json::from_str(&self.body).map_err(|e| TestkitError::Http {
            url: String::new(),
            detail: format!("body is not JSON ({e}): {}", self.body),
        })
    }
}

/// `GET url` with [`HTTP_TIMEOUT`].
pub fn get(url: &str) -> Result<HttpResponse, TestkitError> {
    request("GET", url, &[], b"", HTTP_TIMEOUT)
}

/// `POST url` with `body` (sent as `application/octet-stream` unless `headers`
/// say otherwise) and [`HTTP_TIMEOUT`].
pub fn post(url: &str, body: &[u8]) -> Result<HttpResponse, TestkitError> {
    request("POST", url, &[], body, HTTP_TIMEOUT)
}

/// One request: `method` on `url` (`http://HOST:PORT/path?query`), extra
/// `headers`, a `body`, and `timeout` for connecting and for each read and write.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<HttpResponse, TestkitError> {
    let fail = |detail: String| TestkitError::Http {
        url: url.to_owned(),
        detail,
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| fail("only http:// URLs".to_owned()))?;
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let addr = host
        .to_socket_addrs()
        .map_err(|e| fail(format!("resolving {host}: {e}")))?
        .next()
        .ok_or_else(|| fail(format!("{host} resolves to nothing")))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| fail(format!("connecting: {e}")))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| fail(format!("setting timeouts: {e}")))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| fail(format!("sending: {e}")))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| fail(format!("reading: {e}")))?;
    parse_response(&raw).map_err(fail)
}

/// Splits a whole response (the server closed the connection) into its parts.
fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        rest.get(..n)
            .ok_or_else(|| format!("body shorter than Content-Length {n}"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line without CRLF")?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("chunk without its CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn parses_length_chunked_and_close_delimited_bodies() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabcdef")
            .unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "abc"));
        assert_eq!(r.header("x-a"), Some("b"));
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, "abcde"));
        let r = parse_response(b"HTTP/1.0 500 Oops\r\n\r\nall of it").unwrap();
        assert_eq!((r.status, r.body.as_str()), (500, "all of it"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab").is_err());
    }

    #[test]
    fn talks_to_a_local_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\nxyz") {
                s.read_exact(&mut byte).unwrap();
                buf.push(byte[0]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            String::from_utf8(buf).unwrap()
        });
        let r = post(&format!("http://{addr}/p?q=1"), b"xyz").unwrap();
        assert_eq!((r.status, r.body.as_str()), (201, "ok"));
        let sent = server.join().unwrap();
        assert!(sent.starts_with("POST /p?q=1 HTTP/1.1\r\n"), "{sent}");
        assert!(sent.contains("Content-Length: 3\r\n"), "{sent}");
    }
}
