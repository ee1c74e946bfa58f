//! Reading EC2's mechanical XML-to-JSON conventions without trusting them.
//!
//! Lists arrive as `{"items":[…]}`, sometimes `{"item":[…]}`, `{}` when empty, a bare array
//! from third-party pipelines, a single object where one element was flattened, or not at all.
//! All of these read as a sequence of elements here; anything else reads as empty. These
//! helpers only look things up: they never fail and never allocate.

use serde_json::Value;

/// The elements of an EC2 list in any of its spellings.
pub(crate) fn list_items(list: Option<&Value>) -> impl Iterator<Item = &Value> {
    let elements: &[Value] = match list {
        Some(Value::Array(elements)) => elements,
        Some(object @ Value::Object(map)) => match map.get("items").or_else(|| map.get("item")) {
            Some(Value::Array(elements)) => elements,
            Some(single @ Value::Object(_)) => std::slice::from_ref(single),
            _ if map.contains_key("items") || map.contains_key("item") || map.is_empty() => &[],
            // A flattened one-element list: the object is the element itself.
            _ => std::slice::from_ref(object),
        },
        _ => &[],
    };
    elements.iter()
}

/// A non-empty string field of an object.
pub(crate) fn text<'a>(object: Option<&'a Value>, field: &str) -> Option<&'a str> {
    object?
        .get(field)?
        .as_str()
        .filter(|text| !text.trim().is_empty())
}

/// A string field of every element of an EC2 list.
pub(crate) fn texts_in_list<'a>(
    list: Option<&'a Value>,
    field: &'a str,
) -> impl Iterator<Item = &'a str> {
    list_items(list).filter_map(move |element| text(Some(element), field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: Value) -> Vec<String> {
        texts_in_list(Some(&list), "instanceId")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_list_spelling_reads_the_same() {
        let expected = vec!["i-1".to_owned(), "i-2".to_owned()];
        assert_eq!(
            ids(json!({"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]})),
            expected
        );
        assert_eq!(
            ids(json!({"item":[{"instanceId":"i-1"},{"instanceId":"i-2"}]})),
            expected
        );
        assert_eq!(
            ids(json!([{"instanceId":"i-1"},{"instanceId":"i-2"}])),
            expected
        );
        assert_eq!(ids(json!({"items":{"instanceId":"i-1"}})), vec!["i-1"]);
        assert_eq!(ids(json!({"instanceId":"i-1"})), vec!["i-1"]);
        assert!(ids(json!({})).is_empty());
        assert!(ids(json!({"items": null})).is_empty());
        assert!(ids(json!("i-1")).is_empty());
        assert!(texts_in_list(None, "instanceId").next().is_none());
    }

    #[test]
    fn blank_and_non_string_fields_are_absent() {
        assert_eq!(text(Some(&json!({"groupId": ""})), "groupId"), None);
        assert_eq!(text(Some(&json!({"groupId": 7})), "groupId"), None);
        assert_eq!(
            text(Some(&json!({"groupId": "sg-1"})), "groupId"),
            Some("sg-1")
        );
    }
}
