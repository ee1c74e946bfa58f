//! Dynamic address group filters: the tag expression in `address-group/entry/dynamic/filter`
//! (`'palosync.sg-0abc' or ('web' and 'prod')`), parsed once and evaluated against the tags an
//! address carries, and the members a group has at this instant: registered addresses (User-ID
//! registrations, see [`crate::registrations`]) and address objects whose tags satisfy the filter.
//!
//! Grammar (what the PAN-OS GUI and API accept [doc], precedence [?]): a tag is quoted with `'`
//! or `"` and may hold any character but its quote (dots, dashes, spaces); `and` binds tighter than
//! `or`; parentheses group; keywords are case-insensitive. Bare (unquoted) words are refused.
//! A filter is at most 2047 characters [?].
//!
//! This module must never change a tree or a registration.

use std::net::IpAddr;

use crate::netaddr::{parse_netmask, parse_range};
use crate::objects::ObjectIndex;
use crate::registrations::VsysRegistrations;
use crate::xml::Element;

/// Longest filter text accepted.
pub const MAX_FILTER_LEN: usize = 2047;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    Tag(String),
    And(Box<TagFilter>, Box<TagFilter>),
    Or(Box<TagFilter>, Box<TagFilter>),
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("filter is empty")]
    Empty,
    #[error("filter is longer than {MAX_FILTER_LEN} characters")]
    TooLong,
    #[error("unterminated quote")]
    UnterminatedQuote,
    #[error("unexpected '{0}'")]
    Unexpected(String),
    #[error("unexpected end of filter")]
    UnexpectedEnd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Tag(String),
    And,
    Or,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '\'' | '"' => {
                let mut tag = String::new();
                loop {
                    match chars.next() {
                        Some((_, q)) if q == c => break,
                        Some((_, other)) => tag.push(other),
                        None => return Err(FilterError::UnterminatedQuote),
                    }
                }
                tokens.push(Token::Tag(tag));
            }
            _ => {
                let mut end = text.len();
                while let Some((j, n)) = chars.peek().copied() {
                    if n.is_whitespace() || matches!(n, '(' | ')' | '\'' | '"') {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let word = &text[i..end];
                match word.to_ascii_lowercase().as_str() {
                    "and" => tokens.push(Token::And),
                    "or" => tokens.push(Token::Or),
                    _ => return Err(FilterError::Unexpected(word.to_string())),
                }
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or_expr(&mut self) -> Result<TagFilter, FilterError> {
        self.chain(&Token::Or, Self::and_expr, TagFilter::Or)
    }

    fn and_expr(&mut self) -> Result<TagFilter, FilterError> {
        self.chain(&Token::And, Self::operand, TagFilter::And)
    }

    /// `operand (op operand)*`, folded to the left.
    fn chain(
        &mut self,
        op: &Token,
        operand: fn(&mut Self) -> Result<TagFilter, FilterError>,
        join: fn(Box<TagFilter>, Box<TagFilter>) -> TagFilter,
    ) -> Result<TagFilter, FilterError> {
        let mut left = operand(self)?;
        while self.peek() == Some(op) {
            self.at += 1;
            left = join(Box::new(left), Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn operand(&mut self) -> Result<TagFilter, FilterError> {
        match self.next() {
            Some(Token::Tag(t)) => Ok(TagFilter::Tag(t)),
            Some(Token::Open) => {
                let inner = self.or_expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    Some(other) => Err(FilterError::Unexpected(token_text(&other))),
                    None => Err(FilterError::UnexpectedEnd),
                }
            }
            Some(other) => Err(FilterError::Unexpected(token_text(&other))),
            None => Err(FilterError::UnexpectedEnd),
        }
    }
}

fn token_text(t: &Token) -> String {
    match t {
        Token::Tag(s) => format!("'{s}'"),
        Token::And => "and".into(),
        Token::Or => "or".into(),
        Token::Open => "(".into(),
        Token::Close => ")".into(),
    }
}

impl TagFilter {
    pub fn parse(text: &str) -> Result<TagFilter, FilterError> {
        if text.chars().count() > MAX_FILTER_LEN {
            return Err(FilterError::TooLong);
        }
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(FilterError::Empty);
        }
        let mut parser = Parser { tokens, at: 0 };
        let filter = parser.or_expr()?;
        match parser.next() {
            None => Ok(filter),
            Some(extra) => Err(FilterError::Unexpected(token_text(&extra))),
        }
    }

    /// Whether an address carrying tags for which `has` is true satisfies the filter.
    pub fn matches(&self, has: &dyn Fn(&str) -> bool) -> bool {
        match self {
            TagFilter::Tag(t) => has(t),
            TagFilter::And(a, b) => a.matches(has) && b.matches(has),
            TagFilter::Or(a, b) => a.matches(has) || b.matches(has),
        }
    }
}

/// What a dynamic group holds right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DagMembers<'a> {
    /// Address objects carrying matching tags, by name order.
    pub objects: Vec<&'a Element>,
    /// Registered addresses whose tags match, in address order.
    pub registered: Vec<IpAddr>,
}

impl DagMembers<'_> {
    /// Whether `ip` is one of the members (an address object's netmask or range, or a
    /// registered address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.registered.contains(&ip) || self.objects.iter().any(|a| object_contains(a, ip))
    }
}

/// The filter of a dynamic group entry, if it is one and the filter parses.
pub fn group_filter(group: &Element) -> Option<TagFilter> {
    let text = &group.descend(&["dynamic", "filter"])?.text;
    TagFilter::parse(text).ok()
}

/// The members of a dynamic group in one vsys: address objects of the index and registered
/// addresses of `registered`.
pub fn members<'a>(
    filter: &TagFilter,
    index: &ObjectIndex<'a>,
    registered: Option<&VsysRegistrations>,
) -> DagMembers<'a> {
    let mut objects: Vec<&'a Element> = index
        .all("address")
        .into_iter()
        .filter(|addr| {
            let tags = addr.members("tag");
            filter.matches(&|t| tags.contains(&t))
        })
        .collect();
    objects.sort_by(|a, b| a.entry_name().cmp(&b.entry_name()));
    let registered = registered
        .map(|r| {
            r.iter()
                .filter(|(_, reg)| filter.matches(&|t| reg.has_tag(t)))
                .map(|(ip, _)| *ip)
                .collect()
        })
        .unwrap_or_default();
    DagMembers {
        objects,
        registered,
    }
}

/// Whether an address object's `ip-netmask` or `ip-range` holds `ip` (FQDNs never do).
pub fn object_contains(addr: &Element, ip: IpAddr) -> bool {
    if let Some(v) = addr.child_text("ip-netmask") {
        return parse_netmask(v).is_some_and(|s| s.contains(ip));
    }
    if let Some(v) = addr.child_text("ip-range") {
        return parse_range(v).is_some_and(|s| s.contains(ip));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |t| list.contains(&t)
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let f = TagFilter::parse("'a' or 'b' and 'c'").expect("parses");
        assert!(f.matches(&tags(&["a"])));
        assert!(!f.matches(&tags(&["b"])));
        let g = TagFilter::parse("('a' or 'b') and 'c'").expect("parses");
        assert!(!g.matches(&tags(&["a"])));
        assert!(g.matches(&tags(&["b", "c"])));
    }

    #[test]
    fn quoted_tags_keep_dots_dashes_and_spaces() {
        let f = TagFilter::parse("\"palosync.sg-0abc\" OR 'with space'").expect("parses");
        assert!(f.matches(&tags(&["palosync.sg-0abc"])));
        assert!(f.matches(&tags(&["with space"])));
        assert!(!f.matches(&tags(&["palosync"])));
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "",
            "   ",
            "'a' and",
            "'a' 'b'",
            "('a' or 'b'",
            "'a')",
            "bare",
            "'unterminated",
            "and 'a'",
            "'a' not 'b'",
        ] {
            assert!(TagFilter::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("'{}'", "x".repeat(MAX_FILTER_LEN));
        assert_eq!(TagFilter::parse(&long), Err(FilterError::TooLong));
    }
}
