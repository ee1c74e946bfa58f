//! Issue 15, item 4: every request parser of the simulator (xpath, element, cmd, uid-message,
//! multi-config documents, parameters) fed mutations of well-formed requests and arbitrary
//! strings answers with a PAN-OS response (or an HTTP error with a body): never a panic. Driven
//! through `api::handle`, the real request path minus sockets, so a panic fails the case.

mod support;

use panos_sim::Element;
use panos_sim::api::{ApiRequest, handle};
use proptest::prelude::*;
use support::{Fw, KEY, VSYS};

fn xpaths() -> Vec<String> {
    vec![
        format!("{VSYS}/rulebase/security/rules"),
        format!("{VSYS}/rulebase/security/rules/entry[@name='web']"),
        format!("{VSYS}/address-group/entry[@name='palosync.sg-1']"),
        format!("{VSYS}/service/entry[@name='tcp_8443']"),
        format!("{VSYS}/zone"),
        "/config/devices/entry/vsys/entry/address".to_owned(),
        "/config/shared/tag/entry[@name=\"x\"]".to_owned(),
        format!("{VSYS}/rulebase/security/rules/entry[@name='a' or @name='b']"),
    ]
}

const ELEMENTS: &[&str] = &[
    "<entry name='web'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>10.0.1.5</member></destination><application><member>ssl</member></application><service><member>application-default</member></service><action>allow</action></entry>",
    "<entry name='palosync.sg-1'><dynamic><filter>'palosync.sg-1' or ('a' and 'b')</filter></dynamic><tag><member>palosync</member></tag></entry>",
    "<entry name='tcp_8443'><protocol><tcp><port>8443</port></tcp></protocol></entry>",
    "<member>x</member>",
];

const COMMANDS: &[&str] = &[
    "<show><system><info/></system></show>",
    "<show><jobs><all/></jobs></show>",
    "<show><jobs><id>1</id></jobs></show>",
    "<show><config-locks/></show>",
    "<request><config-lock><add><comment>x</comment></add></config-lock></request>",
    "<show><object><registered-ip><all/><limit>500</limit><start-point>1</start-point></registered-ip></object></show>",
    "<show><object><dynamic-address-group><name>palosync.sg-1</name></dynamic-address-group></object></show>",
    "<test><security-policy-match><source>198.51.100.7</source><destination>10.0.1.5</destination><protocol>6</protocol><destination-port>443</destination-port><application>ssl</application><from>untrust</from><to>trust</to></security-policy-match></test>",
    "<show><config><list><admins/></list></config></show>",
    "<commit><partial><admin><member>admin</member></admin></partial></commit>",
    "<uid-message><version>2.0</version><type>update</type><payload><register><entry ip=\"10.0.1.5\" persistent=\"1\"><tag><member timeout=\"60\">palosync.sg-1</member></tag></entry></register><unregister><entry ip=\"10.0.1.6\"/></unregister></payload></uid-message>",
    "<multi-config><edit id='1' xpath=\"/config/devices/entry/vsys/entry/zone/entry[@name='z']\"><entry name='z'/></edit><delete id='2' xpath=\"/config/x\"/></multi-config>",
];

const TYPES: &[&str] = &[
    "config", "op", "commit", "user-id", "keygen", "version", "log", "x",
];
const ACTIONS: &[&str] = &[
    "get",
    "show",
    "set",
    "edit",
    "delete",
    "move",
    "rename",
    "clone",
    "multi-config",
    "complete",
    "partial",
    "all",
    "",
];
const SNIPPETS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "'",
    "\"",
    "[",
    "]",
    "@name=",
    "entry",
    "&amp;",
    "&#x0;",
    "<![CDATA[",
    "]]>",
    "..",
    "//",
    "*",
    " or ",
    " and ",
    "(",
    ")",
    "\u{0}",
    "\u{FFFD}",
];

/// A seed string, then edits: truncations, characters replaced, snippets inserted.
fn mutate(seed: String, edits: Vec<(prop::sample::Index, u8, &'static str)>) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for (at, kind, snippet) in edits {
        if text.is_empty() {
            text.extend(snippet.chars());
            continue;
        }
        let i = at.index(text.len());
        match kind % 3 {
            0 => text.truncate(i),
            1 => text[i] = char::from(kind),
            _ => {
                let inserted: Vec<char> = snippet.chars().collect();
                text.splice(i..i, inserted);
            }
        }
    }
    text.into_iter().collect()
}

fn field(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<u8>(),
            prop::sample::select(SNIPPETS),
        ),
        0..5,
    );
    prop_oneof![
        4 => (prop::sample::select(seeds), edits).prop_map(|(s, e)| mutate(s, e)),
        1 => ".{0,200}",
    ]
}

fn request() -> impl Strategy<Value = Vec<(String, String)>> {
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    (
        prop::sample::select(TYPES),
        prop::sample::select(ACTIONS),
        field(xpaths()),
        field(owned(ELEMENTS)),
        field(owned(COMMANDS)),
        any::<u8>(),
    )
        .prop_map(|(kind, action, xpath, element, cmd, extras)| {
            let mut params = vec![
                ("type".to_owned(), kind.to_owned()),
                ("action".to_owned(), action.to_owned()),
                ("xpath".to_owned(), xpath.clone()),
                ("element".to_owned(), element),
                ("cmd".to_owned(), cmd),
                ("key".to_owned(), KEY.to_owned()),
            ];
            if extras & 1 == 1 {
                params.push(("where".to_owned(), "before".to_owned()));
                params.push(("dst".to_owned(), "web".to_owned()));
            }
            if extras & 2 == 2 {
                params.push(("newname".to_owned(), "copy".to_owned()));
                params.push(("from".to_owned(), xpath));
            }
            if extras & 4 == 4 {
                params.push(("vsys".to_owned(), "vsys1".to_owned()));
            }
            if extras & 8 == 8 {
                params.push(("strict-transactional".to_owned(), "yes".to_owned()));
            }
            params
        })
}

/// The answer is a PAN-OS `<response>` (HTTP 200), or an HTTP error with a body.
fn answered(fw: &mut Fw, params: Vec<(String, String)>) {
    let reply = handle(
        &mut fw.state,
        &ApiRequest {
            params,
            ..Default::default()
        },
        fw.now,
    );
    if reply.http_status == 200 {
        let root = Element::parse(&reply.body).expect("a 200 answer is XML");
        assert_eq!(root.name, "response", "{}", reply.body);
    } else {
        assert!(
            !reply.body.is_empty(),
            "HTTP {} without a body",
            reply.http_status
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_and_arbitrary_requests_get_an_answer_never_a_panic(params in request()) {
        let mut fw = Fw::new();
        answered(&mut fw, params);
    }

    #[test]
    fn a_sequence_of_requests_on_one_device_never_panics(
        sequence in prop::collection::vec(request(), 1..12)
    ) {
        let mut fw = Fw::new();
        for params in sequence {
            answered(&mut fw, params);
        }
    }
}
