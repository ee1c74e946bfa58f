//! The HTTP(S) surface of an in-process simulator: parameter merging, key placement, 403 shape,
//! content type, TLS, and the `/_sim/*` endpoints.

use std::time::Duration;

use panos_sim::{FaultPlan, Simulator, TlsMode};

const KEY: &str = "httpTestKey";

async fn start(tls: TlsMode) -> panos_sim::RunningSimulator {
    Simulator::builder()
        .api_key(KEY)
        .admin("bob", "pw")
        .commit_delay(Duration::from_millis(20))
        .tls(tls)
        .start()
        .await
        .expect("simulator starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client")
}

#[tokio::test]
async fn query_and_form_parameters_merge_and_keys_work_in_param_header_and_basic_auth() {
    let sim = start(TlsMode::Plain).await;
    let c = client();
    let xpath =
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/zone";
    // type in the query string, the rest in the form body, on /api (no slash).
    let resp = c
        .post(format!("{}/api?type=config", sim.url()))
        .form(&[("action", "get"), ("xpath", xpath), ("key", KEY)])
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/xml; charset=UTF-8"
    );
    let body = resp.text().await.expect("body");
    assert!(
        body.starts_with("<response status=\"success\" code=\"19\">")
            && body.contains("<entry name=\"trust\">"),
        "{body}"
    );

    let by_header = c
        .get(format!("{}/api/", sim.url()))
        .query(&[("type", "version")])
        .header("X-PAN-KEY", KEY)
        .send()
        .await
        .expect("request");
    assert!(
        by_header
            .text()
            .await
            .expect("body")
            .contains("<sw-version>10.2.4</sw-version>")
    );

    let by_basic = c
        .get(format!("{}/api/", sim.url()))
        .query(&[
            ("type", "op"),
            ("cmd", "<show><system><info/></system></show>"),
        ])
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .expect("request");
    assert!(
        by_basic
            .text()
            .await
            .expect("body")
            .contains("<model>PA-VM</model>")
    );

    let keygen = c
        .post(format!("{}/api/?type=keygen", sim.url()))
        .form(&[("user", "bob"), ("password", "pw")])
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    let bob_key = sim.key_of("bob").expect("bob exists");
    assert_eq!(
        keygen,
        format!("<response status=\"success\"><result><key>{bob_key}</key></result></response>")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_credentials_get_http_403_invalid_credential() {
    let sim = start(TlsMode::Plain).await;
    let c = client();
    for req in [
        c.get(format!("{}/api/", sim.url()))
            .query(&[("type", "version"), ("key", "wrong")]),
        c.get(format!("{}/api/", sim.url()))
            .query(&[("type", "version")]),
        c.get(format!("{}/api/", sim.url())).query(&[
            ("type", "keygen"),
            ("user", "bob"),
            ("password", "nope"),
        ]),
    ] {
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), 403);
        assert_eq!(resp.status().canonical_reason(), Some("Forbidden"));
        assert_eq!(
            resp.headers()["content-type"],
            "application/xml; charset=UTF-8"
        );
        assert_eq!(
            resp.text().await.expect("body"),
            "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>"
        );
    }
    // pan-python reports the reason phrase, so it must be the device's.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connect");
    raw.write_all(
        b"GET /api/?type=version&key=wrong HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .expect("write");
    let mut head = String::new();
    raw.read_to_string(&mut head).await.expect("read");
    assert!(
        head.starts_with("HTTP/1.1 403 Invalid Credential\r\n"),
        "{head}"
    );

    let illegal = c
        .get(format!("{}/api/", sim.url()))
        .query(&[("type", "report"), ("key", KEY)])
        .send()
        .await
        .expect("request");
    assert_eq!(illegal.status(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn self_signed_tls_serves_the_api() {
    let sim = start(TlsMode::SelfSigned).await;
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let body = client()
        .get(format!("{}/api/", sim.url()))
        .query(&[("type", "version"), ("key", KEY)])
        .send()
        .await
        .expect("TLS request")
        .text()
        .await
        .expect("body");
    assert!(body.contains("<serial>"));
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_endpoints_inject_faults_count_requests_and_reset() {
    let sim = start(TlsMode::Plain).await;
    let c = client();
    let api = format!("{}/api/", sim.url());
    let version = || {
        c.get(&api)
            .query(&[("type", "version"), ("key", KEY)])
            .send()
    };
    let plan = serde_json::json!({"http_errors": 1, "http_status": 503, "session_timeouts": 1});
    let accepted = c
        .post(format!("{}/_sim/faults", sim.url()))
        .body(plan.to_string())
        .send()
        .await
        .expect("faults");
    assert_eq!(accepted.status(), 200);
    assert_eq!(version().await.expect("request").status(), 503);
    let timed_out = version()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(timed_out.contains("code=\"22\"") && timed_out.contains("Session timed out"));
    assert!(
        version()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
            .contains("sw-version")
    );

    sim.inject_faults(FaultPlan {
        hang_ms: 300,
        hang_requests: 1,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    version().await.expect("request");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let set = c
        .post(&api)
        .form(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/tag"),
            ("element", "<entry name='t'/>"),
            ("key", KEY),
        ])
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(set.contains("code=\"20\""), "{set}");
    let stats_body = c
        .get(format!("{}/_sim/stats", sim.url()))
        .send()
        .await
        .expect("stats")
        .text()
        .await
        .expect("body");
    let stats: serde_json::Value = serde_json::from_str(&stats_body).expect("stats are JSON");
    assert_eq!(
        stats["requests"], 3,
        "faulted HTTP errors and timeouts never reach the API: {stats}"
    );
    assert_eq!(stats["by_type"]["version"], 2);
    assert_eq!(stats["by_action"]["set"], 1);
    assert_eq!(stats["faults_injected"], 3);
    assert!(
        stats["bytes_in"].as_u64().unwrap_or(0) > 0 && stats["bytes_out"].as_u64().unwrap_or(0) > 0
    );
    assert!(sim.candidate_config_xml().contains("<entry name=\"t\"/>"));

    c.post(format!("{}/_sim/reset", sim.url()))
        .send()
        .await
        .expect("reset");
    assert!(!sim.candidate_config_xml().contains("<entry name=\"t\"/>"));
    assert_eq!(sim.stats().requests, 0);
    assert_eq!(sim.running_rules("vsys1").len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn pem_certificate_files_serve_https_and_bad_files_fail_to_start() {
    let dir = std::env::temp_dir().join(format!("panos-sim-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).expect("write cert");
    std::fs::write(&key, ck.signing_key.serialize_pem()).expect("write key");
    let sim = start(TlsMode::PemFiles {
        cert: cert.clone(),
        key: key.clone(),
    })
    .await;
    let resp = client()
        .get(format!("{}/api/", sim.url()))
        .query(&[("type", "version"), ("key", KEY)])
        .send()
        .await
        .expect("TLS request");
    assert_eq!(resp.status(), 200);
    sim.shutdown().await;

    let broken = Simulator::builder()
        .tls(TlsMode::PemFiles {
            cert: key,
            key: cert,
        })
        .start()
        .await;
    assert!(
        matches!(broken, Err(panos_sim::SimError::Tls(_))),
        "{broken:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn show_config_running_output_is_accepted_as_a_starting_config() {
    let wrapped = format!(
        "<response status=\"success\"><result>{}</result></response>",
        panos_sim::DEFAULT_CONFIG_XML
    );
    let sim = Simulator::builder()
        .config_xml(wrapped)
        .start()
        .await
        .expect("wrapped config");
    assert_eq!(sim.running_rules("vsys1").len(), 1);
    sim.shutdown().await;
    let wrong_root = Simulator::builder().config_xml("<response/>").build_state();
    assert!(matches!(
        wrong_root,
        Err(panos_sim::SimError::ConfigRoot(_))
    ));
}
