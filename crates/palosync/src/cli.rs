//! The operator's command line: subcommands and the flags that override settings.
//!
//! Flags only collect strings into [`RawSettings`]; validation happens once in
//! [`crate::config::Config::validate`], exactly as for the environment.

use crate::config::RawSettings;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "palosync",
    version,
    about = "Keep a Palo Alto Networks firewall's security rules in step with AWS security groups",
    long_about = "Keep a Palo Alto Networks firewall's security rules in step with AWS security \
groups, for traffic that enters a VPC through the firewall.\n\nSettings come from flags, then \
the environment (PANOS_URL, PANOS_API_KEY_SECRET_ID, PANOS_BOTTOM_RULE, …; the original \
Lambda's pa_ip, pa_key, … also work), then --config FILE. As AWS Lambda's bootstrap it runs \
the runtime loop when AWS_LAMBDA_RUNTIME_API is set."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: SettingFlags,
    /// A TOML file with settings (keys as the environment variables, lowercased).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the AWS topology from this snapshot file instead of AWS (offline runs, dry runs
    /// against a copy of production, bug reports).
    #[arg(long, global = true, value_name = "FILE", env = "PALOSYNC_TOPOLOGY")]
    pub topology: Option<PathBuf>,
    /// How to print the report.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what a full sync would change; writes nothing.
    Plan,
    /// Reconcile everything: add what is missing, remove what is no longer allowed, commit once.
    Sync {
        /// Plan and report, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Process one Lambda payload or CloudTrail log file (.json or .json.gz) as the Lambda would.
    Handle {
        /// The file, or - for standard input.
        input: PathBuf,
        /// Plan and report, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the Lambda runtime loop (the default when AWS_LAMBDA_RUNTIME_API is set).
    Lambda,
    /// Check settings, the API key, reachability of AWS and the firewall, and that the zones,
    /// profile group and bottom rule exist.
    Check,
    /// Write the AWS topology palosync sees as a snapshot JSON file on standard output.
    Snapshot,
    /// Why an address, instance (i-…), interface (eni-…) or security group (sg-…) is or is not
    /// reachable through the firewall: scope, permissions, allowances and the rules that hold
    /// them, what cannot be opened, and drift. Writes nothing; needs no PANOS_ADMIN.
    Explain {
        /// An IP address, i-…, eni-… or sg-….
        target: String,
    },
    /// A self-contained demonstration: embedded simulator, sample topology, a burst of events.
    Demo,
}

/// Flags that override one setting each.
#[derive(Debug, Default, Args)]
pub struct SettingFlags {
    /// Firewall management URL (PANOS_URL, pa_ip).
    #[arg(long, global = true)]
    pub panos_url: Option<String>,
    /// Administrator the key belongs to; commits are scoped to it (PANOS_ADMIN).
    #[arg(long, global = true)]
    pub panos_admin: Option<String>,
    /// Secrets Manager secret holding the API key (PANOS_API_KEY_SECRET_ID).
    #[arg(long, global = true)]
    pub panos_api_key_secret_id: Option<String>,
    /// SSM SecureString parameter holding the API key (PANOS_API_KEY_PARAMETER).
    #[arg(long, global = true)]
    pub panos_api_key_parameter: Option<String>,
    /// Managed rules go directly above this rule (PANOS_BOTTOM_RULE, pa_bottom_rule).
    #[arg(long, global = true)]
    pub panos_bottom_rule: Option<String>,
    /// Source zone of managed rules (PANOS_UNTRUST_ZONE, pa_zone_untrust).
    #[arg(long, global = true)]
    pub panos_untrust_zone: Option<String>,
    /// Destination zone of managed rules (PANOS_TRUST_ZONE, pa_zone_trust).
    #[arg(long, global = true)]
    pub panos_trust_zone: Option<String>,
    /// Security profile group on managed rules (PANOS_PROFILE_GROUP, pa_sgp).
    #[arg(long, global = true)]
    pub panos_profile_group: Option<String>,
    /// The VM-Series instance id (FIREWALL_INSTANCE_ID, igwId).
    #[arg(long, global = true)]
    pub firewall_instance_id: Option<String>,
    /// Virtual system (PANOS_VSYS, default vsys1).
    #[arg(long, global = true)]
    pub panos_vsys: Option<String>,
    /// Trust this CA file for the firewall's certificate (PANOS_CA_FILE).
    #[arg(long, global = true)]
    pub panos_ca_file: Option<String>,
    /// Pin the firewall certificate's SHA-256 fingerprint (PANOS_CERT_FINGERPRINT).
    #[arg(long, global = true)]
    pub panos_cert_fingerprint: Option<String>,
    /// Policy shape: `addresses` (a rule per address and service, the default) or `groups` (a
    /// rule per security-group permission, members through dynamic address groups)
    /// (PALOSYNC_MODE).
    #[arg(long, global = true, value_name = "addresses|groups")]
    pub mode: Option<String>,
}

impl SettingFlags {
    /// The flags that were given, as the highest-precedence settings layer. The API key itself
    /// has no flag on purpose: command lines end up in shell history and process lists.
    pub fn to_raw(&self) -> RawSettings {
        let mut raw = RawSettings::default();
        let flags = [
            ("panos_url", &self.panos_url),
            ("panos_admin", &self.panos_admin),
            ("panos_api_key_secret_id", &self.panos_api_key_secret_id),
            ("panos_api_key_parameter", &self.panos_api_key_parameter),
            ("panos_bottom_rule", &self.panos_bottom_rule),
            ("panos_untrust_zone", &self.panos_untrust_zone),
            ("panos_trust_zone", &self.panos_trust_zone),
            ("panos_profile_group", &self.panos_profile_group),
            ("firewall_instance_id", &self.firewall_instance_id),
            ("panos_vsys", &self.panos_vsys),
            ("panos_ca_file", &self.panos_ca_file),
            ("panos_cert_fingerprint", &self.panos_cert_fingerprint),
            ("palosync_mode", &self.mode),
        ];
        for (setting, value) in flags {
            if let Some(value) = value {
                raw.set(setting, value.clone());
            }
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_the_top_settings_layer() {
        let cli = Cli::parse_from([
            "palosync",
            "sync",
            "--dry-run",
            "--panos-bottom-rule",
            "deny all",
            "--output",
            "json",
        ]);
        assert!(matches!(cli.command, Some(Command::Sync { dry_run: true })));
        assert_eq!(cli.output, OutputFormat::Json);
        let raw = cli.settings.to_raw();
        assert_eq!(raw.panos_bottom_rule.as_deref(), Some("deny all"));
        assert_eq!(raw.panos_url, None);
    }

    #[test]
    fn handle_takes_a_file_or_stdin() {
        let cli = Cli::parse_from(["palosync", "handle", "-"]);
        let Some(Command::Handle { input, dry_run }) = cli.command else {
            panic!("expected handle");
        };
        assert_eq!(input, PathBuf::from("-"));
        assert!(!dry_run);
    }
}
