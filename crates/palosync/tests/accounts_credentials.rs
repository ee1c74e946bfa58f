//! Scenario: assumed-role credentials are asked for once per place and then reused while they
//! are valid (the SDK's identity cache over the AssumeRole provider), not once per run or per
//! call: STS sits behind a relay that counts the `AssumeRole` requests.

mod support;

use model::{AccountRegion, PolicyMode};
use support::organisation::*;
use support::sts_counter::StsCounter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_place_assumes_its_role_once_and_reuses_the_credentials() {
    let mut org = Organisation::new("100000000084", "100000000085", PolicyMode::Addresses).await;
    let sts = StsCounter::start(&testkit::moto_endpoint());
    let spokes: Vec<AccountRegion> = SPOKE_REGIONS
        .iter()
        .map(|region| AccountRegion::new("100000000085", *region))
        .collect();
    org.assume_through(&spokes, sts.url()).await;
    assert_eq!(sts.assumed(), 0, "nothing is assumed before it is needed");

    for run in 1..=3 {
        let (report, result) = org.central.sync().await;
        result.unwrap_or_else(|e| panic!("sync {run}: {e}\n{}", report.to_table()));
        assert!(
            report.accounts_failed.is_empty(),
            "{:?}",
            report.accounts_failed
        );
    }
    let second = &org.spokes[1];
    let request = support::authorize_partner_8443(&second.ec2, &second.web_group).await;
    let (region, ip) = (second.region, second.web_ip.clone());
    let (report, result) = org
        .spoke_event(region, "AuthorizeSecurityGroupIngress", request)
        .await;
    result.unwrap_or_else(|e| panic!("event: {e}\n{}", report.to_table()));
    assert!(org.allows(&ip, 8443).await, "read through the assumed role");
    assert_eq!(
        sts.assumed(),
        spokes.len(),
        "one AssumeRole per place over three syncs and an event; the central account uses \
         its own credentials"
    );
}
