//! The Smithy 2.0 JSON AST, read with serde: shapes keyed by absolute shape id, members in
//! document order, traits kept as raw JSON values. Also the overlay merge (`apply` entries and
//! new shapes) and the prelude (`smithy.api#String`, …).
//!
//! This is the subset the AWS models use: no mixins, resources or inline operation shapes.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Trait values by absolute trait id.
pub type Traits = Map<String, Value>;

/// A whole model: every shape by absolute id.
#[derive(Debug, Default)]
pub struct Model {
    pub shapes: BTreeMap<String, Shape>,
}

/// A shape of the JSON AST.
#[derive(Debug, Clone, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub traits: Traits,
    /// Structure, union, enum and intEnum members, in document order.
    #[serde(default)]
    pub members: Map<String, Value>,
    /// List member.
    pub member: Option<MemberRef>,
    /// Map key and value.
    pub key: Option<MemberRef>,
    pub value: Option<MemberRef>,
    /// Operation input, output and errors.
    pub input: Option<MemberRef>,
    pub output: Option<MemberRef>,
    #[serde(default)]
    pub errors: Vec<MemberRef>,
    /// Service operations.
    #[serde(default)]
    pub operations: Vec<MemberRef>,
}

/// A reference to a shape, with the traits of the member that makes it.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRef {
    pub target: String,
    #[serde(default)]
    pub traits: Traits,
}

#[derive(Deserialize)]
struct Document {
    smithy: String,
    #[serde(default)]
    shapes: Map<String, Value>,
}

impl Model {
    /// Parses one JSON AST document.
    pub fn from_json(text: &str, origin: &str) -> anyhow::Result<Self> {
        let doc: Document =
            serde_json::from_str(text).with_context(|| format!("{origin}: not a JSON AST"))?;
        if !doc.smithy.starts_with('2') {
            bail!(
                "{origin}: Smithy version {} is not supported (need 2.x)",
                doc.smithy
            );
        }
        let mut shapes = BTreeMap::new();
        for (id, value) in doc.shapes {
            let shape: Shape =
                serde_json::from_value(value).with_context(|| format!("{origin}: shape {id}"))?;
            shapes.insert(id, shape);
        }
        Ok(Self { shapes })
    }

    /// Merges an overlay: an `apply` entry adds (or replaces) traits on an existing shape;
    /// `apply` on a member id (`ns#Shape$member`) adds traits to that member; any other
    /// entry is a new shape and must not already exist.
    pub fn merge_overlay(&mut self, overlay: Self) -> anyhow::Result<()> {
        for (id, shape) in overlay.shapes {
            if shape.kind == "apply" {
                if let Some((shape_id, member)) = id.split_once('$') {
                    let target = self
                        .shapes
                        .get_mut(shape_id)
                        .with_context(|| format!("overlay applies to unknown shape {shape_id}"))?;
                    let entry = target
                        .members
                        .get_mut(member)
                        .with_context(|| format!("overlay applies to unknown member {id}"))?;
                    let traits = entry
                        .as_object_mut()
                        .context("member is not an object")?
                        .entry("traits")
                        .or_insert_with(|| Value::Object(Map::new()));
                    let traits = traits.as_object_mut().context("member traits")?;
                    traits.extend(shape.traits);
                } else {
                    let target = self
                        .shapes
                        .get_mut(&id)
                        .with_context(|| format!("overlay applies to unknown shape {id}"))?;
                    target.traits.extend(shape.traits);
                }
            } else if self.shapes.insert(id.clone(), shape).is_some() {
                bail!("overlay redefines existing shape {id}; use an `apply` entry");
            }
        }
        Ok(())
    }

    /// The shape with this id, including the prelude's simple shapes.
    pub fn shape(&self, id: &str) -> anyhow::Result<Shape> {
        if let Some(shape) = self.shapes.get(id) {
            return Ok(shape.clone());
        }
        prelude(id).with_context(|| format!("unknown shape {id}"))
    }
}

/// The simple shapes of the Smithy prelude.
fn prelude(id: &str) -> Option<Shape> {
    let name = id.strip_prefix("smithy.api#")?;
    let kind = match name {
        "String" => "string",
        "Blob" => "blob",
        "Boolean" | "PrimitiveBoolean" => "boolean",
        "Byte" | "PrimitiveByte" => "byte",
        "Short" | "PrimitiveShort" => "short",
        "Integer" | "PrimitiveInteger" => "integer",
        "Long" | "PrimitiveLong" => "long",
        "Float" | "PrimitiveFloat" => "float",
        "Double" | "PrimitiveDouble" => "double",
        "BigInteger" => "bigInteger",
        "BigDecimal" => "bigDecimal",
        "Timestamp" => "timestamp",
        "Document" => "document",
        "Unit" => "structure",
        _ => return None,
    };
    Some(Shape {
        kind: kind.to_owned(),
        traits: Traits::new(),
        members: Map::new(),
        member: None,
        key: None,
        value: None,
        input: None,
        output: None,
        errors: Vec::new(),
        operations: Vec::new(),
    })
}

/// Reads a member entry of `members` into a [`MemberRef`].
pub fn member_ref(owner: &str, name: &str, value: &Value) -> anyhow::Result<MemberRef> {
    serde_json::from_value(value.clone()).with_context(|| format!("member {owner}${name}"))
}

/// The namespace part of a shape id.
pub fn namespace(id: &str) -> &str {
    id.split_once('#').map_or(id, |(ns, _)| ns)
}

/// The name part of a shape id.
pub fn local_name(id: &str) -> &str {
    id.split_once('#').map_or(id, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"{"smithy":"2.0","shapes":{
        "ex#S":{"type":"structure","members":{"b":{"target":"smithy.api#String"},"a":{"target":"ex#N"}}},
        "ex#N":{"type":"integer"}}}"#;

    #[test]
    fn members_keep_document_order() {
        let model = Model::from_json(BASE, "base").unwrap();
        let names: Vec<_> = model.shapes["ex#S"].members.keys().cloned().collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn overlay_applies_traits_to_shapes_and_members_and_adds_shapes() {
        let mut model = Model::from_json(BASE, "base").unwrap();
        let overlay = Model::from_json(
            r#"{"smithy":"2.0","shapes":{
                "ex#S":{"type":"apply","traits":{"smithy.api#xmlName":"Root"}},
                "ex#S$a":{"type":"apply","traits":{"smithy.api#required":{}}},
                "ex#New":{"type":"string"}}}"#,
            "overlay",
        )
        .unwrap();
        model.merge_overlay(overlay).unwrap();
        assert_eq!(model.shapes["ex#S"].traits["smithy.api#xmlName"], "Root");
        let a = member_ref("ex#S", "a", &model.shapes["ex#S"].members["a"]).unwrap();
        assert!(a.traits.contains_key("smithy.api#required"));
        assert!(model.shapes.contains_key("ex#New"));
    }

    #[test]
    fn overlay_may_not_redefine_or_apply_to_missing_shapes() {
        let mut model = Model::from_json(BASE, "base").unwrap();
        let redefine =
            Model::from_json(r#"{"smithy":"2.0","shapes":{"ex#N":{"type":"long"}}}"#, "o").unwrap();
        assert!(model.merge_overlay(redefine).is_err());
        let missing = Model::from_json(
            r#"{"smithy":"2.0","shapes":{"ex#Nope":{"type":"apply","traits":{}}}}"#,
            "o",
        )
        .unwrap();
        assert!(model.merge_overlay(missing).is_err());
    }

    #[test]
    fn prelude_shapes_resolve() {
        let model = Model::default();
        assert_eq!(model.shape("smithy.api#String").unwrap().kind, "string");
        assert!(model.shape("smithy.api#Nope").is_err());
    }

    #[test]
    fn smithy_1_documents_are_refused() {
        assert!(Model::from_json(r#"{"smithy":"1.0","shapes":{}}"#, "old").is_err());
    }
}
