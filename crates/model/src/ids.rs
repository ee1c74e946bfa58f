//! Typed AWS resource identifiers.
//!
//! An instance id and a group id are both strings to AWS, but mixing them up in palosync would
//! name a rule after the wrong thing or reconcile the wrong scope. Each kind gets its own newtype
//! so the compiler keeps them apart; serde sees plain strings.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! resource_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefix AWS gives ids of this kind (`i-`, `sg-`, …).
            pub const PREFIX: &'static str = $prefix;

            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether `text` has this kind's prefix followed by at least one character.
            pub fn looks_like(text: &str) -> bool {
                text.len() > $prefix.len() && text.starts_with($prefix)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

resource_id!(
    /// An EC2 instance, `i-0123456789abcdef0`.
    InstanceId, "i-"
);
resource_id!(
    /// An elastic network interface, `eni-…`.
    EniId, "eni-"
);
resource_id!(
    /// A security group, `sg-…`.
    GroupId, "sg-"
);
resource_id!(
    /// A route table, `rtb-…`.
    RouteTableId, "rtb-"
);
resource_id!(
    /// A route table association, `rtbassoc-…`.
    AssociationId, "rtbassoc-"
);
resource_id!(
    /// A network interface attachment, `eni-attach-…`.
    AttachmentId, "eni-attach-"
);
resource_id!(
    /// A subnet, `subnet-…`.
    SubnetId, "subnet-"
);
resource_id!(
    /// A VPC, `vpc-…`.
    VpcId, "vpc-"
);
resource_id!(
    /// A managed prefix list, `pl-…`.
    PrefixListId, "pl-"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = InstanceId::new("i-0abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"i-0abc\"");
        let back: InstanceId = serde_json::from_str("\"i-0abc\"").unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn looks_like_needs_prefix_and_body() {
        assert!(GroupId::looks_like("sg-1"));
        assert!(!GroupId::looks_like("sg-"));
        assert!(!GroupId::looks_like("i-1"));
        assert!(AttachmentId::looks_like("eni-attach-0a1"));
    }
}
