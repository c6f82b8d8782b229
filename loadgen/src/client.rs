//! One HTTP/1.1 exchange on a keep-alive connection, and what can go wrong
//! with it.
//!
//! ```text
//!  idle connection? ──no──► connect (TCP, handshake) ──fails──► Connect
//!        │yes                     │
//!        ▼                        ▼
//!  try_send_request ──not sent (server closed the idle connection)──► reconnect once
//!        │
//!        ▼
//!  status + whole body ──► ok (2xx, 3xx) | Http503 | Http502 | Http504 | HttpOther
//!  transport failure   ──► Reset
//!  past --timeout      ──► Connect if the TCP connect had not completed, else Timeout
//! ```
//!
//! Why the connect phase is told apart: a server whose accept queue is full
//! does not refuse, it stays silent. Measured on Linux loopback (6.x,
//! `tcp_syncookies = 1`, `tcp_abort_on_overflow = 0`) with `listen(fd, 0)`
//! and no `accept`: the first connection completes (the queue holds
//! backlog + 1), every later SYN is dropped (`ListenOverflows` in
//! /proc/net/netstat grows; SYN cookies are not sent, they answer a full SYN
//! queue, not a full accept queue; no RST, since abort_on_overflow is off),
//! and the client sits in SYN_SENT retransmitting (1 s, 3 s, … for
//! `tcp_syn_retries` = 6, about 2 minutes). Under a per-request timeout that
//! is a connection the target never accepted: `Connect`. A connection that
//! did complete but is never served (it waits in the accept queue, or the
//! server's ACK was dropped on overflow) sends its request and hears
//! nothing: from here that is a `Timeout`, like a hung server.

use crate::error::LoadgenError;
use bytes::Bytes;
use dockmaster_reports::ErrorKind;
use http::header::{HeaderValue, HOST};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub(crate) type Sender = SendRequest<Empty<Bytes>>;
type Driver = http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>;

/// A connection driven by the one task that uses it (the closed model's
/// loops): no driver task, so an exchange costs no wake-up of another task.
pub(crate) struct OwnedConn {
    tx: Sender,
    driver: Pin<Box<Driver>>,
    ended: bool,
    open: Arc<AtomicI64>,
}

impl Drop for OwnedConn {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Polls `f`, driving the connection's I/O in the same task while `f` waits
/// for it. `None` if the connection ended with `f` still waiting.
async fn drive<F: Future>(
    driver: &mut Pin<Box<Driver>>,
    ended: &mut bool,
    f: F,
) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if !*ended && driver.as_mut().poll(cx).is_ready() {
            *ended = true;
        }
        match f.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending if *ended => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Where the requests go: resolved once, before the run.
#[derive(Clone, Debug)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// Path prefix of the URL, without a trailing `/` (often empty).
    pub base_path: String,
    host_header: HeaderValue,
    addrs: Vec<SocketAddr>,
}

impl Target {
    /// Parses an `http://host[:port][/base]` URL and resolves the host.
    /// The port, if given, must be 1 to 65535: checked here, before
    /// anything is sent, since the URL parser reads a port it cannot use as
    /// none at all (and the requests would go to port 80).
    pub fn parse(url: &str) -> Result<Target, LoadgenError> {
        let bad = |detail: &str| LoadgenError::Target {
            url: url.to_string(),
            detail: detail.to_string(),
        };
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        match scheme {
            "http" => {}
            "https" => {
                return Err(bad(
                    "https is not supported: the load generator speaks plain HTTP/1.1 \
                     (put the target behind a plain-HTTP listener, or load-test the testbed)",
                ))
            }
            _ => return Err(bad("expected http://host[:port][/path]")),
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let port = port_of(authority).map_err(|d| bad(&d))?;
        let uri: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        let auth = uri
            .authority()
            .ok_or_else(|| bad("expected http://host[:port][/path]"))?;
        let host = auth.host().trim_matches(['[', ']']);
        if host.is_empty() {
            return Err(bad(
                "the host is missing: expected http://host[:port][/path]",
            ));
        }
        let port = port.unwrap_or(80);
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| bad(&format!("cannot resolve {} ({e})", auth.host())))?
            .collect();
        if addrs.is_empty() {
            return Err(bad(&format!("{} resolves to no address", auth.host())));
        }
        let host_header =
            HeaderValue::from_str(auth.as_str()).map_err(|_| bad("host is not a valid header"))?;
        Ok(Target {
            url: url.to_string(),
            base_path: uri.path().trim_end_matches('/').to_string(),
            host_header,
            addrs,
        })
    }

    /// The addresses requests go to, for messages: `127.0.0.1:8080`.
    pub fn addrs_text(&self) -> String {
        let v: Vec<String> = self.addrs.iter().map(|a| a.to_string()).collect();
        v.join(", ")
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
}

/// The port of `host[:port]` (`[v6]:port`, `user@host:port`): `None` if
/// not given, else a number from 1 to 65535.
fn port_of(authority: &str) -> Result<Option<u16>, String> {
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(_, rest)| rest),
        None => hostport.find(':').map_or("", |i| &hostport[i..]),
    };
    let Some(text) = after_host.strip_prefix(':') else {
        return Ok(None);
    };
    let allowed = "the port must be a number from 1 to 65535";
    if text.is_empty() {
        return Err(format!("{allowed}, and none follows the colon"));
    }
    match text.parse::<u32>() {
        Ok(n @ 1..=65535) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n as u16)),
        _ => Err(format!("{allowed}, not {text}")),
    }
}

/// What a run shares between its workers for making exchanges.
pub(crate) struct Client {
    pub target: Target,
    /// One request URI per service.
    pub uris: Vec<Uri>,
    pub timeout: Duration,
    next_addr: AtomicUsize,
    /// Connections open now, and opened in all.
    pub open: Arc<AtomicI64>,
    pub opened: AtomicU64,
    pub open_peak: AtomicI64,
    first_connect_error: OnceLock<String>,
}

impl Client {
    pub fn new(
        target: Target,
        paths: &[String],
        timeout: Duration,
    ) -> Result<Client, LoadgenError> {
        let uris = paths
            .iter()
            .map(|p| {
                p.parse::<Uri>().map_err(|e| LoadgenError::Target {
                    url: target.url.clone(),
                    detail: format!("request path {p} is not valid ({e})"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Client {
            target,
            uris,
            timeout,
            next_addr: AtomicUsize::new(0),
            open: Arc::new(AtomicI64::new(0)),
            opened: AtomicU64::new(0),
            open_peak: AtomicI64::new(0),
            first_connect_error: OnceLock::new(),
        })
    }

    fn request(&self, service: u16) -> Request<Empty<Bytes>> {
        let mut req = Request::new(Empty::new());
        *req.uri_mut() = self.uris[service as usize].clone();
        req.headers_mut()
            .insert(HOST, self.target.host_header.clone());
        req
    }

    /// Opens a TCP connection to the next of the target's addresses and
    /// does the HTTP/1.1 handshake; counts it as open. The caller runs (or
    /// owns) the connection's driver and decrements `open` when it ends.
    async fn handshake(&self) -> Result<(Sender, Driver), ErrorKind> {
        let addrs = &self.target.addrs;
        let addr = addrs[self.next_addr.fetch_add(1, Ordering::Relaxed) % addrs.len()];
        let tcp = TcpStream::connect(addr).await.map_err(|e| {
            self.connect_failed(|| e.to_string());
            ErrorKind::Connect
        })?;
        let _ = tcp.set_nodelay(true);
        let (tx, driver) = http1::handshake(TokioIo::new(tcp)).await.map_err(|e| {
            self.connect_failed(|| format!("the HTTP/1.1 handshake failed ({e})"));
            ErrorKind::Connect
        })?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        let now_open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.open_peak.fetch_max(now_open, Ordering::Relaxed);
        Ok((tx, driver))
    }

    /// A new connection (to the target's addresses in turn); its driver runs
    /// as a task on the current runtime.
    async fn connect(&self) -> Result<Sender, ErrorKind> {
        let (tx, conn) = self.handshake().await?;
        let open = self.open.clone();
        tokio::spawn(async move {
            let _ = conn.await;
            open.fetch_sub(1, Ordering::Relaxed);
        });
        Ok(tx)
    }

    /// One request to `service`, on `idle` if it is still open, else on a
    /// new connection. Never fails: the outcome says how it ended.
    pub async fn exchange(&self, service: u16, idle: Option<Sender>) -> Exchange {
        let started = Instant::now();
        let mut st = Steps::default();
        let inner = self.exchange_inner(service, idle, &mut st);
        let outcome = tokio::time::timeout(self.timeout, inner).await;
        let (result, reusable) = match outcome {
            Ok(Ok((status, tx))) => (classify_status(status), Some(tx)),
            Ok(Err(kind)) => (Err(kind), None),
            Err(_) => (Err(self.timed_out(&st)), None),
        };
        Exchange {
            sent: st.sent.unwrap_or(started),
            done: Instant::now(),
            result,
            connect: st.connect,
            reusable,
        }
    }

    async fn exchange_inner(
        &self,
        service: u16,
        idle: Option<Sender>,
        st: &mut Steps,
    ) -> Result<(StatusCode, Sender), ErrorKind> {
        let mut tx = match idle {
            Some(tx) if !tx.is_closed() => tx,
            _ => self.timed_connect(st).await?,
        };
        let mut reconnected = st.connect.is_some();
        loop {
            if tx.ready().await.is_err() {
                if reconnected {
                    return Err(ErrorKind::Reset);
                }
                reconnected = true;
                tx = self.timed_connect(st).await?;
                continue;
            }
            st.sent = Some(Instant::now());
            match tx.try_send_request(self.request(service)).await {
                Ok(resp) => {
                    let status = resp.status();
                    let mut body = resp.into_body();
                    while let Some(frame) = body.frame().await {
                        frame.map_err(|e| classify_error(&e))?;
                    }
                    return Ok((status, tx));
                }
                // The connection closed before the request went out (a
                // keep-alive connection the server had just dropped): the
                // request was never sent, so sending it on a fresh
                // connection is no retry of a request.
                Err(e) if !reconnected && e.message().is_some() => {
                    reconnected = true;
                    tx = self.timed_connect(st).await?;
                }
                Err(e) => return Err(classify_error(e.error())),
            }
        }
    }

    async fn connect_owned(&self, st: &mut Steps) -> Result<OwnedConn, ErrorKind> {
        let t = Instant::now();
        st.connecting = true;
        let (tx, driver) = self.handshake().await?;
        st.connecting = false;
        st.connect = Some(t.elapsed());
        Ok(OwnedConn {
            tx,
            driver: Box::pin(driver),
            ended: false,
            open: self.open.clone(),
        })
    }

    /// [`Client::exchange`] on a connection the calling task owns and
    /// drives (opened into `slot` if there is none or it has ended; emptied
    /// when the exchange leaves it unusable).
    pub async fn exchange_owned(&self, service: u16, slot: &mut Option<OwnedConn>) -> Exchange {
        let started = Instant::now();
        let mut st = Steps::default();
        let inner = self.exchange_owned_inner(service, slot, &mut st);
        let outcome = tokio::time::timeout(self.timeout, inner).await;
        let result = match outcome {
            Ok(Ok(status)) => classify_status(status),
            Ok(Err(kind)) => Err(kind),
            Err(_) => Err(self.timed_out(&st)),
        };
        if matches!(
            result,
            Err(ErrorKind::Timeout | ErrorKind::Reset | ErrorKind::Connect)
        ) {
            *slot = None;
        }
        Exchange {
            sent: st.sent.unwrap_or(started),
            done: Instant::now(),
            result,
            connect: st.connect,
            reusable: None,
        }
    }

    async fn exchange_owned_inner(
        &self,
        service: u16,
        slot: &mut Option<OwnedConn>,
        st: &mut Steps,
    ) -> Result<StatusCode, ErrorKind> {
        let usable = matches!(slot, Some(c) if !c.ended && !c.tx.is_closed());
        if !usable {
            *slot = Some(self.connect_owned(st).await?);
        }
        let mut reconnected = st.connect.is_some();
        loop {
            let c = slot.as_mut().expect("connected above");
            let ready = drive(&mut c.driver, &mut c.ended, c.tx.ready()).await;
            if !matches!(ready, Some(Ok(()))) {
                if reconnected {
                    return Err(ErrorKind::Reset);
                }
                reconnected = true;
                *slot = Some(self.connect_owned(st).await?);
                continue;
            }
            st.sent = Some(Instant::now());
            let req = self.request(service);
            let resp = match drive(&mut c.driver, &mut c.ended, c.tx.try_send_request(req)).await {
                Some(Ok(r)) => r,
                // Not sent: the server had closed the idle connection.
                Some(Err(e)) if !reconnected && e.message().is_some() => {
                    reconnected = true;
                    *slot = Some(self.connect_owned(st).await?);
                    continue;
                }
                Some(Err(e)) => return Err(classify_error(e.error())),
                None => return Err(ErrorKind::Reset),
            };
            let status = resp.status();
            let mut body = resp.into_body();
            loop {
                match drive(&mut c.driver, &mut c.ended, body.frame()).await {
                    Some(Some(Ok(_))) => {}
                    Some(None) => return Ok(status),
                    Some(Some(Err(e))) => return Err(classify_error(&e)),
                    None => return Err(ErrorKind::Reset),
                }
            }
        }
    }

    async fn timed_connect(&self, st: &mut Steps) -> Result<Sender, ErrorKind> {
        let t = Instant::now();
        st.connecting = true;
        let tx = self.connect().await?;
        st.connecting = false;
        st.connect = Some(t.elapsed());
        Ok(tx)
    }

    /// What a timeout means: the target never took the connection, or it
    /// took it and did not answer in time (see the module's comment).
    fn timed_out(&self, st: &Steps) -> ErrorKind {
        if st.connecting {
            self.connect_failed(|| {
                format!(
                    "no answer to the TCP handshake within --timeout {}",
                    dockmaster_sim::time::format_duration(
                        u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX)
                    )
                )
            });
            ErrorKind::Connect
        } else {
            ErrorKind::Timeout
        }
    }

    /// Keeps the first connect failure in words, for the message when no
    /// request ever got through.
    fn connect_failed(&self, why: impl FnOnce() -> String) {
        if self.first_connect_error.get().is_none() {
            let _ = self.first_connect_error.set(why());
        }
    }

    /// The first connect failure, in words ("" if there was none).
    pub fn first_connect_error(&self) -> &str {
        self.first_connect_error.get().map_or("", |s| s.as_str())
    }
}

/// How far one exchange got: read after a timeout cut it off.
#[derive(Default)]
struct Steps {
    /// When the request went to the connection.
    sent: Option<Instant>,
    /// Time spent opening a connection for it, once opened.
    connect: Option<Duration>,
    /// Inside a TCP connect (or the HTTP handshake after it) right now.
    connecting: bool,
}

/// How one exchange ended.
pub(crate) struct Exchange {
    /// When the request was handed to the connection (after any connect).
    pub sent: Instant,
    pub done: Instant,
    pub result: Result<StatusCode, ErrorKind>,
    /// Time spent connecting, if a connection was opened for it.
    pub connect: Option<Duration>,
    /// The connection, if it can carry another request.
    pub reusable: Option<Sender>,
}

/// 2xx and 3xx are answers; 502, 503, 504 have their own kinds; any other
/// status is `HttpOther`.
pub fn classify_status(s: StatusCode) -> Result<StatusCode, ErrorKind> {
    match s.as_u16() {
        100..=399 => Ok(s),
        502 => Err(ErrorKind::Http502),
        503 => Err(ErrorKind::Http503),
        504 => Err(ErrorKind::Http504),
        _ => Err(ErrorKind::HttpOther),
    }
}

/// A failure after the connection was made: the peer closed or reset it,
/// or answered something that is not HTTP. All `Reset`: the request may or
/// may not have been served, and no status came back.
fn classify_error(e: &hyper::Error) -> ErrorKind {
    if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Reset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let k = |n| classify_status(StatusCode::from_u16(n).unwrap());
        assert!(k(200).is_ok());
        assert!(k(301).is_ok());
        assert_eq!(k(503), Err(ErrorKind::Http503));
        assert_eq!(k(502), Err(ErrorKind::Http502));
        assert_eq!(k(504), Err(ErrorKind::Http504));
        assert_eq!(k(404), Err(ErrorKind::HttpOther));
        assert_eq!(k(500), Err(ErrorKind::HttpOther));
    }

    #[test]
    fn targets_parse_and_refuse_what_we_cannot_speak() {
        let t = Target::parse("http://127.0.0.1:8080/shop/").unwrap();
        assert_eq!(t.base_path, "/shop");
        assert_eq!(t.addrs()[0].port(), 8080);
        assert_eq!(
            Target::parse("http://127.0.0.1").unwrap().addrs()[0].port(),
            80
        );
        let e = Target::parse("https://example.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https is not supported"), "{e}");
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
