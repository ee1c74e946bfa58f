//! Deserialization that accepts any JSON type where an object (or a string) is expected.
//!
//! A field of the wrong type reads as "absent", never as an error, so one odd record or
//! envelope field cannot fail a whole payload. Values that are not needed are consumed with
//! `IgnoredAny`, never built. Only syntax errors (from serde_json itself) can fail here.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A visitor for objects that also answers for every other JSON type without failing.
pub(crate) trait ObjectVisitor<'de>: Sized {
    type Value;

    /// What is expected, for serde's messages.
    const EXPECTING: &'static str;

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error>;

    /// The value for anything that is not an object; `kind` names the JSON type found.
    fn not_an_object(self, kind: &'static str) -> Self::Value;

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(self.not_an_object("an array"))
    }
}

/// Adapts an [`ObjectVisitor`] to serde's `Visitor`; use with `deserialize_any`.
pub(crate) struct Lenient<V>(pub V);

impl<'de, V: ObjectVisitor<'de>> Visitor<'de> for Lenient<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(V::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.object(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.array(seq)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        Ok(self.0.not_an_object("null"))
    }
}

/// A JSON value of any type, keeping only strings and booleans.
#[derive(Debug)]
pub(crate) enum Scalar {
    Null,
    Text(String),
    Bool(bool),
    Other,
}

impl Scalar {
    pub(crate) fn text(self) -> Option<String> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
        drain_seq(seq)?;
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
        drain_map(map)?;
        Ok(Scalar::Other)
    }
}

pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_keeps_strings_and_booleans_only() {
        let read = |json: &str| serde_json::from_str::<Scalar>(json).unwrap();
        assert_eq!(read("\"x\"").text().as_deref(), Some("x"));
        assert!(matches!(read("true"), Scalar::Bool(true)));
        assert!(matches!(read("null"), Scalar::Null));
        assert!(matches!(read("[1,{\"a\":2}]"), Scalar::Other));
        assert!(matches!(read("{\"a\":[]}"), Scalar::Other));
        assert!(matches!(read("-1.5"), Scalar::Other));
    }
}
