//! Gateway Load Balancer endpoints: the `vpce-…` route targets of centralised inspection.
//!
//! A route to a GWLB endpoint sends traffic to whatever appliance fleet stands behind the
//! endpoint's service. Whether that is *our* firewall is decided by the service
//! (`PALOSYNC_GWLB_SERVICES`), so the topology carries each endpoint with its service. This
//! module holds the data and the parsing of service ids; the decision is the planner's.

use crate::ids::{SubnetId, VpcId};
use serde::{Deserialize, Serialize};

/// One Gateway Load Balancer endpoint, as `DescribeVpcEndpoints` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-…`
    pub id: String,
    pub vpc_id: VpcId,
    /// The full service name, `com.amazonaws.vpce.<region>.vpce-svc-…`.
    pub service_name: String,
    /// The subnets the endpoint has its interfaces in (the appliance side of the spoke).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnet_ids: Vec<SubnetId>,
}

impl VpcEndpoint {
    /// The endpoint service id (`vpce-svc-…`) in the service name, if it is one.
    pub fn service_id(&self) -> Option<&str> {
        service_id(&self.service_name)
    }
}

/// `vpce-svc-…` from an endpoint service id or its full name
/// (`com.amazonaws.vpce.<region>.vpce-svc-…`); `None` for anything else (an AWS service such as
/// `com.amazonaws.us-east-1.s3`, a typo).
pub fn service_id(text: &str) -> Option<&str> {
    let text = text.trim();
    let id = match text.rsplit_once('.') {
        Some((prefix, id)) => {
            let region = prefix.strip_prefix("com.amazonaws.vpce.")?;
            if region.is_empty() || region.contains('.') {
                return None;
            }
            id
        }
        None => text,
    };
    let body = id.strip_prefix("vpce-svc-")?;
    let valid = !body.is_empty() && body.chars().all(|c| c.is_ascii_hexdigit());
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_come_from_ids_or_full_names() {
        assert_eq!(
            service_id("vpce-svc-0123456789abcdef0"),
            Some("vpce-svc-0123456789abcdef0")
        );
        assert_eq!(
            service_id("com.amazonaws.vpce.eu-west-1.vpce-svc-0abc"),
            Some("vpce-svc-0abc")
        );
        for not_a_service in [
            "vpce-0abc",
            "vpce-svc-",
            "vpce-svc-xyz",
            "com.amazonaws.eu-west-1.s3",
            "com.amazonaws.vpce..vpce-svc-0abc",
            "org.example.vpce-svc-0abc",
        ] {
            assert_eq!(service_id(not_a_service), None, "{not_a_service}");
        }
    }
}
