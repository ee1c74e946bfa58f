//! The SDK configuration for reading another account, or another region of this one.
//!
//! A member account is read through a role palosync assumes there (STS `AssumeRole`, in the
//! region being read, so a regional STS endpoint answers). The SDK's identity cache of each
//! client holds the credentials until shortly before they expire, so a warm Lambda assumes each
//! role about once an hour, not once per call. An assumption that fails surfaces as the error of
//! the first read, whose message names the role.

use aws_config::{Region, SdkConfig};
use aws_types::sdk_config::SharedCredentialsProvider;

/// The session name palosync's calls carry in member accounts' CloudTrail.
pub const ROLE_SESSION_NAME: &str = "palosync";

/// `base` (credentials, endpoint, retry and timeout settings) for `region`, acting through
/// `role_arn` when given (another account), else with `base`'s own credentials.
pub async fn config_for(base: &SdkConfig, region: &str, role_arn: Option<&str>) -> SdkConfig {
    let region = Region::new(region.to_owned());
    let mut builder = base.to_builder().region(region.clone());
    if let Some(role_arn) = role_arn {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(ROLE_SESSION_NAME)
            .region(region)
            .configure(base)
            .build()
            .await;
        builder = builder.credentials_provider(SharedCredentialsProvider::new(provider));
    }
    builder.build()
}
