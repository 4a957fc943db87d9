//! hyper 0.14 half of the seeds' microservice pair, for `bench/user`.
//!
//!   hyper-user-peer --port N --upstream http://127.0.0.1:M
//!
//! GET /v1/user -> fetches GET /v1/avatar from the upstream (hyper-peer, the
//! other half) with hyper's pooled keep-alive `Client` and answers its body,
//! content-type application/json; 502 if the upstream fails. One
//! current-thread tokio runtime. Exits on SIGTERM/SIGINT.
use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Client, Method, Request, Response, Server, StatusCode, Uri};
use tokio::signal::unix::{signal, SignalKind};

fn usage() -> ! {
    eprintln!("usage: hyper-user-peer --port N --upstream http://HOST:PORT");
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port: u16 = 0;
    let mut upstream = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--upstream" => upstream = args.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if port == 0 || upstream.is_empty() {
        usage();
    }
    let avatar: Uri = format!("{}/v1/avatar", upstream.trim_end_matches('/')).parse().unwrap_or_else(|_| usage());
    let client = Client::builder().build_http::<Body>();

    let make_svc = make_service_fn(move |_conn| {
        let client = client.clone();
        let avatar = avatar.clone();
        async move {
            Ok::<_, Infallible>(service_fn(move |req: Request<Body>| {
                let client = client.clone();
                let avatar = avatar.clone();
                async move {
                    if req.method() != Method::GET || req.uri().path() != "/v1/user" {
                        let mut res = Response::new(Body::empty());
                        *res.status_mut() = StatusCode::NOT_FOUND;
                        return Ok::<_, Infallible>(res);
                    }
                    let fetched = match client.get(avatar).await {
                        Ok(upstream) if upstream.status().is_success() => hyper::body::to_bytes(upstream.into_body()).await.ok(),
                        _ => None,
                    };
                    let mut res = match fetched {
                        Some(body) => Response::new(Body::from(body)),
                        None => {
                            let mut res = Response::new(Body::from("{\"error\":\"bad gateway\",\"status\":502}"));
                            *res.status_mut() = StatusCode::BAD_GATEWAY;
                            res
                        }
                    };
                    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
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
        r = server => if let Err(e) = r { eprintln!("hyper-user-peer: {e}"); std::process::exit(1) },
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
