//! The firewall API key, from Secrets Manager or an SSM SecureString parameter.
//!
//! The value never reaches a log, an error message or a `Debug` output: [`ApiKey`] redacts
//! itself, and errors name the secret, never its content (a JSON parse error could quote it,
//! so parse errors are not passed on).

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use std::fmt;

/// Where the API key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    /// A secret id or ARN; the value is the key itself or JSON `{"api_key": "…"}`.
    SecretsManager(String),
    /// A parameter name, read with decryption (SecureString).
    SsmParameter(String),
}

impl fmt::Display for ApiKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiKeySource::SecretsManager(id) => write!(f, "Secrets Manager secret {id:?}"),
            ApiKeySource::SsmParameter(name) => write!(f, "SSM parameter {name:?}"),
        }
    }
}

/// The firewall API key. `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key, for the one place that sends it to the firewall.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{source_name} does not exist")]
    NotFound { source_name: String },
    #[error("access to {source_name} was denied: {message}")]
    AccessDenied {
        source_name: String,
        message: String,
    },
    #[error("{source_name} holds no usable API key: {reason}")]
    Unusable {
        source_name: String,
        reason: &'static str,
    },
    #[error("reading {source_name} failed: {message}")]
    Aws {
        source_name: String,
        message: String,
    },
}

/// What an error code means for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    NotFound,
    AccessDenied,
    Other,
}

fn classify(code: Option<&str>) -> Failure {
    match code {
        Some("ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound") => {
            Failure::NotFound
        }
        Some(
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "UnrecognizedClientException"
            | "KMSAccessDeniedException"
            | "InvalidSignatureException"
            | "ExpiredTokenException",
        ) => Failure::AccessDenied,
        _ => Failure::Other,
    }
}

fn sdk_failure<E>(
    source: &ApiKeySource,
    error: aws_sdk_secretsmanager::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> SecretError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let source_name = source.to_string();
    let code = error
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned);
    let message = aws_sdk_secretsmanager::error::DisplayErrorContext(&error).to_string();
    match classify(code.as_deref()) {
        Failure::NotFound => SecretError::NotFound { source_name },
        Failure::AccessDenied => SecretError::AccessDenied {
            source_name,
            message,
        },
        Failure::Other => SecretError::Aws {
            source_name,
            message,
        },
    }
}

/// The key from a secret's string: JSON `{"api_key": "…"}`, else the string itself.
fn key_from_secret_string(source: &ApiKeySource, value: &str) -> Result<ApiKey, SecretError> {
    let unusable = |reason| SecretError::Unusable {
        source_name: source.to_string(),
        reason,
    };
    let trimmed = value.trim();
    if trimmed.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|_| unusable("it looks like JSON but does not parse"))?;
        return match json.get("api_key") {
            Some(serde_json::Value::String(key)) if !key.trim().is_empty() => {
                Ok(ApiKey(key.trim().to_owned()))
            }
            Some(_) => Err(unusable("\"api_key\" is not a non-empty string")),
            None => Err(unusable("the JSON object has no \"api_key\" field")),
        };
    }
    if trimmed.is_empty() {
        return Err(unusable("the value is empty"));
    }
    Ok(ApiKey(trimmed.to_owned()))
}

/// Read the firewall API key from `source`, with the SDK's standard chain in `config`.
pub async fn fetch_api_key(
    config: &SdkConfig,
    source: &ApiKeySource,
) -> Result<ApiKey, SecretError> {
    match source {
        ApiKeySource::SecretsManager(id) => {
            let client = aws_sdk_secretsmanager::Client::new(config);
            let output = client
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| sdk_failure(source, e))?;
            match output.secret_string() {
                Some(value) => key_from_secret_string(source, value),
                None => Err(SecretError::Unusable {
                    source_name: source.to_string(),
                    reason: "it has no string value (binary secrets are not supported)",
                }),
            }
        }
        ApiKeySource::SsmParameter(name) => {
            let client = aws_sdk_ssm::Client::new(config);
            let output = client
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| sdk_failure(source, e))?;
            let value = output
                .parameter()
                .and_then(|p| p.value())
                .unwrap_or_default();
            if value.trim().is_empty() {
                return Err(SecretError::Unusable {
                    source_name: source.to_string(),
                    reason: "the value is empty",
                });
            }
            Ok(ApiKey(value.trim().to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm() -> ApiKeySource {
        ApiKeySource::SecretsManager("palosync/key".into())
    }

    #[test]
    fn plain_string_and_json_forms() {
        assert_eq!(
            key_from_secret_string(&sm(), " LUFRPT1x== \n")
                .unwrap()
                .expose(),
            "LUFRPT1x=="
        );
        assert_eq!(
            key_from_secret_string(&sm(), r#"{"api_key": "LUFRPT1y==", "other": 1}"#)
                .unwrap()
                .expose(),
            "LUFRPT1y=="
        );
    }

    #[test]
    fn unusable_json_never_quotes_the_value() {
        for value in [
            r#"{"apikey": "s3cr3t-value"}"#,
            r#"{"api_key": 5, "x": "s3cr3t-value"}"#,
            r#"{"api_key": "s3cr3t-value""#,
        ] {
            let error = key_from_secret_string(&sm(), value).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
    }

    #[test]
    fn api_key_debug_and_display_are_redacted() {
        let key = ApiKey("s3cr3t-value".into());
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        assert_eq!(key.to_string(), "[redacted]");
    }

    #[test]
    fn error_codes_classify() {
        assert_eq!(
            classify(Some("ResourceNotFoundException")),
            Failure::NotFound
        );
        assert_eq!(classify(Some("ParameterNotFound")), Failure::NotFound);
        assert_eq!(
            classify(Some("AccessDeniedException")),
            Failure::AccessDenied
        );
        assert_eq!(classify(Some("ThrottlingException")), Failure::Other);
        assert_eq!(classify(None), Failure::Other);
    }
}
