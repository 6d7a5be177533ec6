//! The generator's intermediate representation: the operations to generate with their HTTP
//! bindings, the transitive closure of the shapes they reach, and the S3 route table (built
//! from *every* operation of the model, so that unserved ones are recognised and refused).
//!
//! Emitters read only this IR, never raw JSON.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::smithy::{self, Model, Shape, Traits, member_ref};

/// Trait ids read by the generator.
pub mod traits {
    pub const REQUIRED: &str = "smithy.api#required";
    pub const HTTP: &str = "smithy.api#http";
    pub const HTTP_LABEL: &str = "smithy.api#httpLabel";
    pub const HTTP_QUERY: &str = "smithy.api#httpQuery";
    pub const HTTP_HEADER: &str = "smithy.api#httpHeader";
    pub const HTTP_PREFIX_HEADERS: &str = "smithy.api#httpPrefixHeaders";
    pub const HTTP_PAYLOAD: &str = "smithy.api#httpPayload";
    pub const HTTP_RESPONSE_CODE: &str = "smithy.api#httpResponseCode";
    pub const XML_NAME: &str = "smithy.api#xmlName";
    pub const XML_FLATTENED: &str = "smithy.api#xmlFlattened";
    pub const XML_ATTRIBUTE: &str = "smithy.api#xmlAttribute";
    pub const XML_NAMESPACE: &str = "smithy.api#xmlNamespace";
    pub const TIMESTAMP_FORMAT: &str = "smithy.api#timestampFormat";
    pub const STREAMING: &str = "smithy.api#streaming";
    pub const ENUM_VALUE: &str = "smithy.api#enumValue";
    pub const TRAIT: &str = "smithy.api#trait";
    pub const HTTP_CHECKSUM: &str = "aws.protocols#httpChecksum";
    pub const UNWRAPPED_OUTPUT: &str = "aws.customizations#s3UnwrappedXmlOutput";
    pub const ROUTE_DEFAULT: &str = "multistore.gateway#routeDefault";
    pub const OPAQUE_STRING: &str = "multistore.gateway#opaqueString";
    pub const XML_MEMBER_ORDER: &str = "multistore.gateway#xmlMemberOrder";
    pub const EXTRA_SHAPE: &str = "multistore.gateway#extraShape";
    pub const HTTP_STATUS: &str = "multistore.gateway#httpStatus";
}

/// How a timestamp is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampFormat {
    DateTime,
    HttpDate,
    EpochSeconds,
}

/// Simple (scalar) shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simple {
    String,
    Boolean,
    Byte,
    Short,
    Integer,
    Long,
    Float,
    Double,
    /// bigInteger and bigDecimal are carried as their decimal text.
    BigNumber,
    Timestamp,
    /// A timestamp carried as the text the peer sent (overlay `opaqueString`).
    OpaqueTimestamp,
    Blob,
    /// A streaming blob: never buffered, passed through by the runtime.
    StreamingBlob,
    Document,
}

/// An XML namespace declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlNamespace {
    pub uri: String,
    pub prefix: Option<String>,
}

/// Where a top-level input or output member travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// A URI label; `greedy` for `{Key+}`.
    Label {
        greedy: bool,
    },
    Query(String),
    /// A header, lowercased.
    Header(String),
    /// Every header with this (lowercased) prefix, e.g. `x-amz-meta-`.
    PrefixHeaders(String),
    Payload,
    ResponseCode,
    /// An element of the XML body (members without an HTTP binding, and nested members).
    Body,
}

/// A member of a structure or union.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub target: String,
    pub required: bool,
    pub binding: Binding,
    pub xml_name: Option<String>,
    pub xml_flattened: bool,
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<TimestampFormat>,
    /// Every trait of the member, as in the model (the fields above interpret the ones the
    /// emitters use).
    pub traits: Traits,
}

impl Member {
    /// The element (or attribute) name of this member in XML.
    pub fn xml_element_name(&self) -> &str {
        self.xml_name.as_deref().unwrap_or(&self.name)
    }
}

/// An enum value.
#[derive(Clone, Debug)]
pub struct EnumValue {
    pub name: String,
    pub value: String,
    /// Overlay `httpStatus` (the S3 error-code table).
    pub http_status: Option<u16>,
}

/// The kinds of shape the generator emits.
#[derive(Clone, Debug)]
pub enum ShapeKind {
    Structure { members: Vec<Member> },
    Union { members: Vec<Member> },
    List { member: Member },
    Map { key: String, value: String },
    Enum { values: Vec<EnumValue> },
    IntEnum { values: Vec<(String, i64)> },
    Simple(Simple),
}

/// A shape in the closure.
#[derive(Clone, Debug)]
pub struct ShapeIr {
    pub id: String,
    pub kind: ShapeKind,
    pub xml_name: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<TimestampFormat>,
    /// Overlay `xmlMemberOrder`: members written first, in this order.
    pub xml_member_order: Vec<String>,
    /// Members (by name) that must be boxed to break a recursive cycle.
    pub boxed_members: BTreeSet<String>,
    /// Every trait of the shape, as in the model.
    pub traits: Traits,
}

impl ShapeIr {
    pub fn local_name(&self) -> &str {
        smithy::local_name(&self.id)
    }
    pub fn namespace(&self) -> &str {
        smithy::namespace(&self.id)
    }
    pub fn members(&self) -> &[Member] {
        match &self.kind {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => members,
            _ => &[],
        }
    }
}

/// Path shape of an S3 URI pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathShape {
    Root,
    Bucket,
    Object,
}

/// An operation to generate.
#[derive(Clone, Debug)]
pub struct Operation {
    pub id: String,
    pub name: String,
    pub method: String,
    pub uri: String,
    pub code: u16,
    /// Input and output structure ids; `None` for `smithy.api#Unit`.
    pub input: Option<String>,
    pub output: Option<String>,
    pub checksum_required: bool,
    /// `aws.customizations#s3UnwrappedXmlOutput`: the output body is one bare element.
    pub unwrapped_output: bool,
}

/// One row of the S3 route table.
#[derive(Clone, Debug)]
pub struct Route {
    pub operation: String,
    pub served: bool,
    pub method: String,
    pub shape: PathShape,
    /// Literal query keys of the URI pattern (without `x-id`), with their literal value if any.
    pub literals: Vec<(String, Option<String>)>,
    /// The client-only `x-id` literal, if the pattern has one.
    pub x_id: Option<String>,
    pub required_query: Vec<String>,
    pub required_headers: Vec<String>,
    /// Every `httpQuery` name of the input.
    pub query_params: Vec<String>,
    pub route_default: bool,
}

/// A service section of the IR.
#[derive(Clone, Debug)]
pub struct Service {
    pub id: String,
    pub xml_namespace: Option<XmlNamespace>,
    pub operations: Vec<Operation>,
}

/// The whole IR.
#[derive(Clone, Debug)]
pub struct Ir {
    pub s3: Service,
    pub sts: Service,
    /// Every shape reachable from the generated operations and the overlay's extra shapes.
    pub shapes: BTreeMap<String, ShapeIr>,
    /// Routes for every S3 operation, most specific first within each (method, shape) group.
    pub routes: Vec<Route>,
    /// Overlay shapes generated although no operation reaches them.
    pub extra_shapes: Vec<String>,
    /// Operations of the S3 model the router cannot express (literal path segments).
    pub unroutable: Vec<String>,
}

impl Ir {
    pub fn shape(&self, id: &str) -> &ShapeIr {
        self.shapes
            .get(id)
            .unwrap_or_else(|| panic!("shape {id} is not in the IR closure"))
    }
}

/// Builds the IR for the given S3 and STS services and operation names.
pub fn build(
    model: &Model,
    s3_service: &str,
    s3_ops: &[String],
    sts_service: &str,
    sts_ops: &[String],
) -> anyhow::Result<Ir> {
    let s3 = service(model, s3_service, s3_ops)?;
    let sts = service(model, sts_service, sts_ops)?;
    let extra_shapes: Vec<String> = model
        .shapes
        .iter()
        .filter(|(_, s)| s.traits.contains_key(traits::EXTRA_SHAPE))
        .map(|(id, _)| id.clone())
        .collect();
    let mut roots: Vec<String> = extra_shapes.clone();
    for op in s3.operations.iter().chain(&sts.operations) {
        roots.extend(op.input.iter().cloned());
        roots.extend(op.output.iter().cloned());
    }
    let mut shapes = BTreeMap::new();
    let mut stack = roots;
    while let Some(id) = stack.pop() {
        if shapes.contains_key(&id) {
            continue;
        }
        let shape = shape_ir(model, &id)?;
        stack.extend(references(&shape));
        shapes.insert(id, shape);
    }
    mark_recursion(&mut shapes);
    let (routes, unroutable) = routes(model, s3_service, s3_ops)?;
    Ok(Ir {
        s3,
        sts,
        shapes,
        routes,
        extra_shapes,
        unroutable,
    })
}

fn service(model: &Model, id: &str, wanted: &[String]) -> anyhow::Result<Service> {
    let shape = model
        .shapes
        .get(id)
        .with_context(|| format!("service {id} not in the model"))?;
    if shape.kind != "service" {
        bail!("{id} is not a service");
    }
    let available: BTreeMap<&str, &str> = shape
        .operations
        .iter()
        .map(|op| (smithy::local_name(&op.target), op.target.as_str()))
        .collect();
    let mut operations = Vec::new();
    for name in wanted {
        let op_id = available
            .get(name.as_str())
            .with_context(|| format!("allowlisted operation {name} is not an operation of {id}"))?;
        operations.push(operation(model, op_id)?);
    }
    Ok(Service {
        id: id.to_owned(),
        xml_namespace: xml_namespace(&shape.traits)?,
        operations,
    })
}

fn operation(model: &Model, id: &str) -> anyhow::Result<Operation> {
    let shape = model.shape(id)?;
    let http = shape.traits.get(traits::HTTP);
    let (method, uri, code) = match http {
        Some(http) => (
            http["method"].as_str().context("http.method")?.to_owned(),
            http["uri"].as_str().context("http.uri")?.to_owned(),
            u16::try_from(http.get("code").and_then(Value::as_u64).unwrap_or(200))?,
        ),
        None => ("POST".to_owned(), "/".to_owned(), 200),
    };
    let unit = |r: &Option<smithy::MemberRef>| {
        r.as_ref()
            .map(|r| r.target.clone())
            .filter(|t| t != "smithy.api#Unit")
    };
    let checksum_required = shape
        .traits
        .get(traits::HTTP_CHECKSUM)
        .and_then(|c| c.get("requestChecksumRequired"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Operation {
        id: id.to_owned(),
        name: smithy::local_name(id).to_owned(),
        method,
        uri,
        code,
        input: unit(&shape.input),
        output: unit(&shape.output),
        checksum_required,
        unwrapped_output: shape.traits.contains_key(traits::UNWRAPPED_OUTPUT),
    })
}

fn xml_namespace(traits: &Traits) -> anyhow::Result<Option<XmlNamespace>> {
    let Some(ns) = traits.get(traits::XML_NAMESPACE) else {
        return Ok(None);
    };
    Ok(Some(XmlNamespace {
        uri: ns["uri"].as_str().context("xmlNamespace.uri")?.to_owned(),
        prefix: ns.get("prefix").and_then(Value::as_str).map(str::to_owned),
    }))
}

fn timestamp_format(traits: &Traits) -> anyhow::Result<Option<TimestampFormat>> {
    Ok(
        match traits.get(traits::TIMESTAMP_FORMAT).and_then(Value::as_str) {
            None => None,
            Some("date-time") => Some(TimestampFormat::DateTime),
            Some("http-date") => Some(TimestampFormat::HttpDate),
            Some("epoch-seconds") => Some(TimestampFormat::EpochSeconds),
            Some(other) => bail!("unknown timestampFormat {other}"),
        },
    )
}

fn string_trait(traits: &Traits, id: &str) -> Option<String> {
    traits.get(id).and_then(Value::as_str).map(str::to_owned)
}

fn member(model: &Model, owner: &str, name: &str, value: &Value) -> anyhow::Result<Member> {
    let r = member_ref(owner, name, value)?;
    let t = &r.traits;
    let binding = if t.contains_key(traits::HTTP_LABEL) {
        Binding::Label { greedy: false }
    } else if let Some(q) = string_trait(t, traits::HTTP_QUERY) {
        Binding::Query(q)
    } else if let Some(h) = string_trait(t, traits::HTTP_HEADER) {
        Binding::Header(h.to_ascii_lowercase())
    } else if let Some(p) = string_trait(t, traits::HTTP_PREFIX_HEADERS) {
        Binding::PrefixHeaders(p.to_ascii_lowercase())
    } else if t.contains_key(traits::HTTP_PAYLOAD) {
        Binding::Payload
    } else if t.contains_key(traits::HTTP_RESPONSE_CODE) {
        Binding::ResponseCode
    } else {
        Binding::Body
    };
    // Resolve the target now so that a dangling reference fails here, with context.
    model
        .shape(&r.target)
        .with_context(|| format!("member {owner}${name}"))?;
    Ok(Member {
        name: name.to_owned(),
        target: r.target.clone(),
        required: t.contains_key(traits::REQUIRED),
        binding,
        xml_name: string_trait(t, traits::XML_NAME),
        xml_flattened: t.contains_key(traits::XML_FLATTENED),
        xml_attribute: t.contains_key(traits::XML_ATTRIBUTE),
        xml_namespace: xml_namespace(t)?,
        timestamp_format: timestamp_format(t)?,
        traits: r.traits.clone(),
    })
}

fn simple(shape: &Shape) -> anyhow::Result<Option<Simple>> {
    Ok(Some(match shape.kind.as_str() {
        "string" => Simple::String,
        "boolean" => Simple::Boolean,
        "byte" => Simple::Byte,
        "short" => Simple::Short,
        "integer" => Simple::Integer,
        "long" => Simple::Long,
        "float" => Simple::Float,
        "double" => Simple::Double,
        "bigInteger" | "bigDecimal" => Simple::BigNumber,
        "timestamp" if shape.traits.contains_key(traits::OPAQUE_STRING) => Simple::OpaqueTimestamp,
        "timestamp" => Simple::Timestamp,
        "blob" if shape.traits.contains_key(traits::STREAMING) => Simple::StreamingBlob,
        "blob" => Simple::Blob,
        "document" => Simple::Document,
        _ => return Ok(None),
    }))
}

fn shape_ir(model: &Model, id: &str) -> anyhow::Result<ShapeIr> {
    let shape = model.shape(id)?;
    let members = |shape: &Shape| -> anyhow::Result<Vec<Member>> {
        shape
            .members
            .iter()
            .map(|(name, v)| member(model, id, name, v))
            .collect()
    };
    let kind = if let Some(simple) = simple(&shape)? {
        ShapeKind::Simple(simple)
    } else {
        match shape.kind.as_str() {
            "structure" => ShapeKind::Structure {
                members: members(&shape)?,
            },
            "union" => ShapeKind::Union {
                members: members(&shape)?,
            },
            "list" | "set" => {
                let m = shape.member.as_ref().context("list without member")?;
                let value = serde_json::to_value(serde_json::json!({
                    "target": m.target, "traits": m.traits
                }))?;
                ShapeKind::List {
                    member: member(model, id, "member", &value)?,
                }
            }
            "map" => ShapeKind::Map {
                key: shape.key.as_ref().context("map key")?.target.clone(),
                value: shape.value.as_ref().context("map value")?.target.clone(),
            },
            "enum" => {
                let mut values = Vec::new();
                for (name, v) in &shape.members {
                    let r = member_ref(id, name, v)?;
                    let value =
                        string_trait(&r.traits, traits::ENUM_VALUE).unwrap_or_else(|| name.clone());
                    let http_status = r
                        .traits
                        .get(traits::HTTP_STATUS)
                        .and_then(Value::as_u64)
                        .map(u16::try_from)
                        .transpose()?;
                    values.push(EnumValue {
                        name: name.clone(),
                        value,
                        http_status,
                    });
                }
                ShapeKind::Enum { values }
            }
            "intEnum" => {
                let mut values = Vec::new();
                for (name, v) in &shape.members {
                    let r = member_ref(id, name, v)?;
                    let value = r
                        .traits
                        .get(traits::ENUM_VALUE)
                        .and_then(Value::as_i64)
                        .with_context(|| format!("intEnum {id}${name} needs an integer value"))?;
                    values.push((name.clone(), value));
                }
                ShapeKind::IntEnum { values }
            }
            other => bail!("{id}: shape type {other} is not supported by the generator"),
        }
    };
    let xml_member_order = shape
        .traits
        .get(traits::XML_MEMBER_ORDER)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let ir = ShapeIr {
        id: id.to_owned(),
        kind,
        xml_name: string_trait(&shape.traits, traits::XML_NAME),
        xml_namespace: xml_namespace(&shape.traits)?,
        timestamp_format: timestamp_format(&shape.traits)?,
        xml_member_order,
        boxed_members: BTreeSet::new(),
        traits: shape.traits.clone(),
    };
    for name in &ir.xml_member_order {
        if !ir.members().iter().any(|m| &m.name == name) {
            bail!("{id}: xmlMemberOrder names unknown member {name}");
        }
    }
    Ok(ir)
}

fn references(shape: &ShapeIr) -> Vec<String> {
    match &shape.kind {
        ShapeKind::Structure { members } | ShapeKind::Union { members } => {
            members.iter().map(|m| m.target.clone()).collect()
        }
        ShapeKind::List { member } => vec![member.target.clone()],
        ShapeKind::Map { key, value } => vec![key.clone(), value.clone()],
        _ => Vec::new(),
    }
}

/// Boxes every structure or union member that closes a cycle of direct (non-list, non-map)
/// containment, so that the generated types have a finite size.
fn mark_recursion(shapes: &mut BTreeMap<String, ShapeIr>) {
    fn reaches(
        shapes: &BTreeMap<String, ShapeIr>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        if from == to {
            return true;
        }
        if !seen.insert(from.to_owned()) {
            return false;
        }
        shapes.get(from).is_some_and(|s| {
            s.members()
                .iter()
                .any(|m| reaches(shapes, &m.target, to, seen))
        })
    }
    let mut boxed = Vec::new();
    for (id, shape) in shapes.iter() {
        for m in shape.members() {
            if reaches(shapes, &m.target, id, &mut BTreeSet::new()) {
                boxed.push((id.clone(), m.name.clone()));
            }
        }
    }
    for (id, member) in boxed {
        if let Some(shape) = shapes.get_mut(&id) {
            shape.boxed_members.insert(member);
        }
    }
}

/// An http `uri` pattern, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriPattern {
    pub shape: PathShape,
    /// Literal query entries (without `x-id`), with their literal value if any.
    pub literals: Vec<(String, Option<String>)>,
    /// The client-only `x-id` literal.
    pub x_id: Option<String>,
}

/// Splits an http `uri` pattern into its path shape, literal query entries and `x-id`.
pub fn parse_uri(uri: &str) -> anyhow::Result<UriPattern> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let shape = match path {
        "/" => PathShape::Root,
        "/{Bucket}" => PathShape::Bucket,
        "/{Bucket}/{Key+}" => PathShape::Object,
        other => bail!("path pattern {other} has a literal segment"),
    };
    let mut literals = Vec::new();
    let mut x_id = None;
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (part.to_owned(), None),
        };
        if key == "x-id" {
            x_id = value;
        } else {
            literals.push((key, value));
        }
    }
    Ok(UriPattern {
        shape,
        literals,
        x_id,
    })
}

fn routes(
    model: &Model,
    service_id: &str,
    served: &[String],
) -> anyhow::Result<(Vec<Route>, Vec<String>)> {
    let service = model.shape(service_id)?;
    let mut routes = Vec::new();
    let mut unroutable = Vec::new();
    for op_ref in &service.operations {
        let op = operation(model, &op_ref.target)?;
        let Ok(UriPattern {
            shape,
            literals,
            x_id,
        }) = parse_uri(&op.uri)
        else {
            unroutable.push(op.name.clone());
            continue;
        };
        let mut required_query = Vec::new();
        let mut required_headers = Vec::new();
        let mut query_params = Vec::new();
        if let Some(input) = &op.input {
            let input_shape = model.shape(input)?;
            for (name, v) in &input_shape.members {
                let m = member(model, input, name, v)?;
                match &m.binding {
                    Binding::Query(q) => {
                        query_params.push(q.clone());
                        if m.required {
                            required_query.push(q.clone());
                        }
                    }
                    Binding::Header(h) if m.required => required_headers.push(h.clone()),
                    _ => {}
                }
            }
        }
        let op_shape = model.shape(&op.id)?;
        routes.push(Route {
            served: served.contains(&op.name),
            route_default: op_shape.traits.contains_key(traits::ROUTE_DEFAULT),
            operation: op.name,
            method: op.method,
            shape,
            literals,
            x_id,
            required_query,
            required_headers,
            query_params,
        });
    }
    routes.sort_by(|a, b| {
        (&a.method, a.shape)
            .cmp(&(&b.method, b.shape))
            .then(b.literals.len().cmp(&a.literals.len()))
            .then(specificity(b).cmp(&specificity(a)))
            .then(b.route_default.cmp(&a.route_default))
            .then(a.operation.cmp(&b.operation))
    });
    check_ambiguity(&routes)?;
    Ok((routes, unroutable))
}

fn specificity(r: &Route) -> usize {
    r.required_query.len() + r.required_headers.len()
}

/// Two routes that need exactly the same things can only be told apart by the client-only
/// `x-id`; one of them must then carry the overlay's `routeDefault`.
fn check_ambiguity(routes: &[Route]) -> anyhow::Result<()> {
    for (i, a) in routes.iter().enumerate() {
        for b in &routes[i + 1..] {
            let same = a.method == b.method
                && a.shape == b.shape
                && sorted(&a.literals) == sorted(&b.literals)
                && sorted(&a.required_query) == sorted(&b.required_query)
                && sorted(&a.required_headers) == sorted(&b.required_headers);
            if same && a.route_default == b.route_default {
                bail!(
                    "routes {} and {} are ambiguous: mark one with multistore.gateway#routeDefault in model/overlay.json",
                    a.operation,
                    b.operation
                );
            }
        }
    }
    Ok(())
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_patterns_split_into_shape_literals_and_x_id() {
        let p = parse_uri("/{Bucket}/{Key+}?x-id=GetObject").unwrap();
        assert_eq!(p.shape, PathShape::Object);
        assert!(p.literals.is_empty());
        assert_eq!(p.x_id.as_deref(), Some("GetObject"));
        let p = parse_uri("/{Bucket}?list-type=2").unwrap();
        assert_eq!(p.shape, PathShape::Bucket);
        assert_eq!(
            p.literals,
            vec![("list-type".to_owned(), Some("2".to_owned()))]
        );
        let p = parse_uri("/{Bucket}/{Key+}?select&select-type=2").unwrap();
        assert_eq!(p.literals.len(), 2);
        assert!(parse_uri("/WriteGetObjectResponse").is_err());
    }

    fn model(json: &str) -> Model {
        Model::from_json(json, "test").unwrap()
    }

    const TINY: &str = r#"{"smithy":"2.0","shapes":{
      "ex#Svc":{"type":"service","version":"1","operations":[{"target":"ex#Get"},{"target":"ex#GetTags"},{"target":"ex#A"},{"target":"ex#B"}]},
      "ex#Get":{"type":"operation","input":{"target":"ex#GetInput"},"output":{"target":"smithy.api#Unit"},
                "traits":{"smithy.api#http":{"method":"GET","uri":"/{Bucket}/{Key+}?x-id=Get","code":200}}},
      "ex#GetTags":{"type":"operation","input":{"target":"ex#GetInput"},
                "traits":{"smithy.api#http":{"method":"GET","uri":"/{Bucket}/{Key+}?tagging","code":200}}},
      "ex#A":{"type":"operation","traits":{"smithy.api#http":{"method":"GET","uri":"/?x-id=A"}}},
      "ex#B":{"type":"operation","traits":{"smithy.api#http":{"method":"GET","uri":"/?x-id=B"}}},
      "ex#GetInput":{"type":"structure","members":{
         "Bucket":{"target":"smithy.api#String","traits":{"smithy.api#httpLabel":{},"smithy.api#required":{}}},
         "Key":{"target":"smithy.api#String","traits":{"smithy.api#httpLabel":{},"smithy.api#required":{}}},
         "Node":{"target":"ex#Node","traits":{"smithy.api#httpPayload":{}}},
         "V":{"target":"smithy.api#String","traits":{"smithy.api#httpQuery":"versionId"}}}},
      "ex#Node":{"type":"structure","members":{"next":{"target":"ex#Node"},"all":{"target":"ex#Nodes"}}},
      "ex#Nodes":{"type":"list","member":{"target":"ex#Node"}}
    }}"#;

    #[test]
    fn ties_without_route_default_are_rejected_at_generation_time() {
        let m = model(TINY);
        let err = build(&m, "ex#Svc", &["Get".into()], "ex#Svc", &[]).unwrap_err();
        assert!(err.to_string().contains("ambiguous"), "{err}");
    }

    #[test]
    fn routes_sort_most_specific_first_and_recursion_is_boxed() {
        let mut m = model(TINY);
        m.merge_overlay(model(
            r#"{"smithy":"2.0","shapes":{"ex#A":{"type":"apply","traits":{"multistore.gateway#routeDefault":{}}}}}"#,
        ))
        .unwrap();
        let ir = build(&m, "ex#Svc", &["Get".into()], "ex#Svc", &[]).unwrap();
        let get_group: Vec<_> = ir
            .routes
            .iter()
            .filter(|r| r.shape == PathShape::Object)
            .map(|r| r.operation.as_str())
            .collect();
        assert_eq!(get_group, ["GetTags", "Get"]);
        let served: Vec<_> = ir
            .routes
            .iter()
            .filter(|r| r.served)
            .map(|r| r.operation.as_str())
            .collect();
        assert_eq!(served, ["Get"]);
        let get = ir.routes.iter().find(|r| r.operation == "Get").unwrap();
        assert_eq!(get.query_params, ["versionId"]);
        assert_eq!(get.x_id.as_deref(), Some("Get"));
        let node = ir.shape("ex#Node");
        assert!(node.boxed_members.contains("next"));
        assert!(
            !node.boxed_members.contains("all"),
            "lists already break the cycle"
        );
    }
}
