//! The replay can fail: a committed recording replayed against the native gateway in front of
//! an in-process s3s-fs conforms, and the same recording with one recorded answer or one
//! signature tampered with does not, naming the exchange.

use multistore_conformance::env::{
    Backend, BackendKind, NativeGateway, client_secret, gateway_toml,
};
use multistore_conformance::replay::replay;
use multistore_conformance::traffic::{self, Traffic};

fn recording(name: &str) -> Traffic {
    // Read at run time: a test binary reused from another clone (shared target directory)
    // would carry that clone's compile-time path.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it");
    let path = format!("{dir}/traffic/rust-sdk/{name}.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    traffic::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faithful_traffic_conforms_and_tampered_traffic_fails() {
    let backend = Backend::start(BackendKind::S3sFs, 0).await.expect("s3s-fs");
    let gateway = NativeGateway::start(&gateway_toml(BackendKind::S3sFs, &backend.url()))
        .await
        .expect("gateway");
    let addr = gateway.addr.to_string();

    // Uploads with signed chunks, re-signed for now: every exchange but the ones s3s-fs answers
    // differently (see the exceptions table) conforms, the broken chain included (403).
    let chunks = recording("auth-signed-chunks");
    let result = replay(&chunks, &addr, &client_secret).await;
    assert_eq!(result.exchanges, 5);
    let failed: Vec<usize> = result.failures.iter().map(|f| f.number).collect();
    assert!(
        failed.iter().all(|n| [2, 4, 5].contains(n)),
        "{:#?}",
        result.failures
    );

    // The conditional writes conform entirely on s3s-fs.
    backend.reset().await.expect("reset");
    let writes = recording("conditional-writes");
    let result = replay(&writes, &addr, &client_secret).await;
    assert!(result.failures.is_empty(), "{:#?}", result.failures);

    // A recorded answer that the gateway does not give: that exchange fails with a diff.
    backend.reset().await.expect("reset");
    let mut tampered = writes.clone();
    let second = &mut tampered.exchanges[1].response;
    second.start = "HTTP/1.1 200 OK".into();
    let result = replay(&tampered, &addr, &client_secret).await;
    let failure = result
        .failures
        .iter()
        .find(|f| f.number == 2)
        .expect("exchange 2 fails");
    assert!(
        failure.detail.contains("- status 200") && failure.detail.contains("+ status 412"),
        "{}",
        failure.detail
    );

    // A request whose recorded signature does not verify, though the reference accepted it,
    // cannot be replayed faithfully: it fails before it is sent.
    backend.reset().await.expect("reset");
    let mut forged = writes.clone();
    let request = &mut forged.exchanges[0].request;
    let auth = request
        .header("authorization")
        .expect("signed")
        .replace("Signature=", "Signature=0");
    request.set_header("authorization", &auth[..auth.len() - 1]);
    let result = replay(&forged, &addr, &client_secret).await;
    let failure = result.failures.first().expect("exchange 1 fails");
    assert_eq!(failure.number, 1);
    assert!(
        failure.detail.contains("cannot re-sign"),
        "{}",
        failure.detail
    );
}
