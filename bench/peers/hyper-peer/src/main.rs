//! hyper 0.14 peer for Ringside's side-by-side benchmark.
//!
//!   hyper-peer --port N [--fixture PATH]      (or PORT / FIXTURE env vars)
//!
//! GET /v1/avatar -> 200, body = the avatar fixture (read once at startup into
//! a `Bytes`), headers content-type, engine, location, date (hyper adds it),
//! content-length. One current-thread tokio runtime. Exits on SIGTERM/SIGINT.
use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};
use tokio::signal::unix::{signal, SignalKind};

fn usage() -> ! {
    eprintln!("usage: hyper-peer --port N [--fixture PATH]");
    std::process::exit(2)
}

fn default_fixture() -> String {
    // bench/peers/hyper-peer -> repo root
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../Sources/Workloads/Resources/avatar.json").to_string()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port: u16 = std::env::var("PORT").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut fixture = std::env::var("FIXTURE").unwrap_or_else(|_| default_fixture());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--fixture" => fixture = args.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if port == 0 {
        usage();
    }
    let body = match std::fs::read(&fixture) {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            eprintln!("hyper-peer: cannot read {fixture}: {e}");
            std::process::exit(1)
        }
    };

    let make_svc = make_service_fn(move |_conn| {
        let body = body.clone();
        async move {
            Ok::<_, Infallible>(service_fn(move |req: Request<Body>| {
                let body = body.clone();
                async move {
                    let mut res = Response::new(Body::empty());
                    if req.method() == Method::GET && req.uri().path() == "/v1/avatar" {
                        *res.body_mut() = Body::from(body);
                        let h = res.headers_mut();
                        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                        h.insert("engine", HeaderValue::from_static("hyper"));
                        h.insert(LOCATION, HeaderValue::from_static("/v1/avatar"));
                    } else {
                        *res.status_mut() = StatusCode::NOT_FOUND;
                    }
                    Ok::<_, Infallible>(res)
                }
            }))
        }
    });

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = Server::bind(&addr).tcp_nodelay(true).http1_only(true).serve(make_svc);
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        r = server => if let Err(e) = r { eprintln!("hyper-peer: {e}"); std::process::exit(1) },
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
