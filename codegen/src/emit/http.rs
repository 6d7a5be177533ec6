//! Emits the restXml HTTP bindings of every generated S3 operation, in both directions:
//! inputs are read from client requests and written as backend requests; outputs are written
//! as client responses and read from backend responses. Streaming payloads are not touched:
//! the runtime passes those bodies through.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, Holder, Location, format_tokens, xml};
use crate::ir::{Binding, Member, Operation, ShapeIr, ShapeKind, Simple};
use crate::names;

/// Bindings for every routable S3 operation.
pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let ns = ctx.ir.s3.xml_namespace.as_ref().map(|n| n.uri.clone());
    let ops = ctx
        .ir
        .s3
        .operations
        .iter()
        .filter(|op| !ctx.ir.unroutable.contains(&op.name))
        .map(|op| operation(ctx, op, ns.as_deref()));
    quote! {
        use crate::codec::http::{BindingError, HttpRequest, OutboundRequest, ResponseParts};
        use crate::codec::xml::{Element, XmlError};
        use crate::codec::xml_value::{XmlRead, XmlWrite};
        use super::headers as h;
        #(#ops)*
    }
}

fn operation(ctx: &Ctx<'_>, op: &Operation, ns: Option<&str>) -> TokenStream {
    let input = op.input.as_ref().map(|id| {
        let s = ctx.shape(id);
        let ty = names::type_path(id);
        let reads = read_fields(ctx, s, true, ns);
        let writes = write_fields(ctx, s, ns, None);
        let method = syn::Ident::new(&op.method, proc_macro2::Span::call_site());
        let literals = crate::ir::parse_uri(&op.uri).map(|p| p.literals).unwrap_or_default();
        let literal_pushes = literals.iter().map(|(k, v)| {
            let v = v.clone().unwrap_or_default();
            quote!(r.query.push((#k.to_owned(), #v.to_owned()));)
        });
        quote! {
            impl #ty {
                /// Reads this input from a client request (`body`: the buffered body, if the operation has an XML or raw payload).
                pub fn from_http(req: &HttpRequest<'_>, body: Option<&[u8]>) -> ::std::result::Result<Self, BindingError> {
                    let headers = req.headers;
                    #reads
                }
                /// Writes this input as a request to a backend.
                pub fn to_http(&self) -> ::std::result::Result<OutboundRequest, BindingError> {
                    let mut r = OutboundRequest::new(::http::Method::#method);
                    #(#literal_pushes)*
                    #writes
                    Ok(r)
                }
            }
        }
    });
    let output = op.output.as_ref().map(|id| {
        let s = ctx.shape(id);
        let ty = names::type_path(id);
        let code = op.code;
        let (reads, writes) = if op.unwrapped_output {
            unwrapped(ctx, s, ns)
        } else {
            (read_fields(ctx, s, false, ns), write_fields(ctx, s, ns, Some(code)))
        };
        quote! {
            impl #ty {
                /// Writes this output as the response to a client (status, headers, buffered body).
                pub fn to_http(&self) -> ::std::result::Result<ResponseParts, BindingError> {
                    let mut r = ResponseParts::new(#code);
                    #writes
                    Ok(r)
                }
                /// Reads this output from a backend response's headers and buffered body.
                pub fn from_http(headers: &::http::HeaderMap, body: Option<&[u8]>) -> ::std::result::Result<Self, BindingError> {
                    #reads
                }
            }
        }
    });
    quote!(#input #output)
}

/// The XML root element name of a structure payload member.
fn payload_root(ctx: &Ctx<'_>, m: &Member) -> String {
    let target = ctx.shape(&m.target);
    m.xml_name
        .clone()
        .or_else(|| target.xml_name.clone())
        .unwrap_or_else(|| target.local_name().to_owned())
}

fn body_root(s: &ShapeIr) -> String {
    s.xml_name
        .clone()
        .unwrap_or_else(|| s.local_name().to_owned())
}

fn header_const(name: &str) -> TokenStream {
    let c = names::header_const(name);
    quote!(&h::#c)
}

/// A block that reads every field of `s` from `headers`, `req` (inputs) and `body`, and
/// evaluates to `Ok(Self { .. })`.
fn read_fields(ctx: &Ctx<'_>, s: &ShapeIr, is_input: bool, ns: Option<&str>) -> TokenStream {
    let _ = ns;
    let body_members = xml::body_members(ctx, s);
    let root = body_root(s);
    // Client bodies must carry the model's root name; backend outputs are read by content.
    let reader = if is_input {
        quote!(body_root)
    } else {
        quote!(output_root)
    };
    let parse_root = (!body_members.is_empty())
        .then(|| quote!(let root = crate::codec::xml_value::#reader(body, #root)?;));
    let fields = ctx.fields(s).into_iter().map(|m| {
        let field = names::field_name(&m.name);
        let ty = ctx.rust_type(&m.target);
        let holder = ctx.holder(m);
        let required = |read: TokenStream, err: TokenStream| match holder {
            Holder::Plain => quote!(#read.ok_or(#err)?),
            _ => read,
        };
        let expr = match &m.binding {
            Binding::Label { .. } if is_input => {
                let name = &m.name;
                let read = quote!(crate::codec::http::label::<#ty>(req, #name)?);
                required(read, quote!(BindingError::MissingLabel(#name)))
            }
            Binding::Query(q) if is_input => {
                let read = match scalar_kind(ctx, m) {
                    Kind::Timestamp => {
                        let fmt = format_tokens(ctx.timestamp_format(m, Location::Query));
                        quote!(crate::codec::http::query_timestamp(req.query, #q, #fmt)?)
                    }
                    Kind::List(item) => {
                        quote!(crate::codec::http::query_list::<#item>(req.query, #q)?)
                    }
                    Kind::Value => quote!(crate::codec::http::query::<#ty>(req.query, #q)?),
                };
                required(read, quote!(BindingError::MissingQuery(#q)))
            }
            Binding::Header(name) => {
                let c = header_const(name);
                let read = match scalar_kind(ctx, m) {
                    Kind::Timestamp => {
                        let fmt = format_tokens(ctx.timestamp_format(m, Location::Header));
                        quote!(crate::codec::http::header_timestamp(headers, #c, #fmt)?)
                    }
                    Kind::List(item) => {
                        quote!(crate::codec::http::header_list::<#item>(headers, #c)?)
                    }
                    Kind::Value => quote!(crate::codec::http::header::<#ty>(headers, #c)?),
                };
                required(read, quote!(BindingError::MissingHeader(#name)))
            }
            Binding::PrefixHeaders(prefix) => {
                quote!(crate::codec::http::prefix_headers(headers, #prefix)?)
            }
            Binding::Payload => {
                let target = ctx.shape(&m.target);
                let read = match &target.kind {
                    ShapeKind::Simple(Simple::String) => {
                        quote!(crate::codec::http::payload_string(body)?)
                    }
                    ShapeKind::Simple(Simple::Blob) => {
                        quote!(crate::codec::http::payload_blob(body))
                    }
                    _ => {
                        let root = payload_root(ctx, m);
                        let reader = if is_input {
                            quote!(read_payload)
                        } else {
                            quote!(read_output_payload)
                        };
                        quote!(crate::codec::xml_value::#reader::<#ty>(body, #root)?)
                    }
                };
                required(read, quote!(BindingError::MissingBody))
            }
            Binding::Body => xml::member_read(ctx, s, m, &quote!(root)),
            // Labels and query members of outputs, and response codes, do not exist in S3.
            _ => quote!(::std::default::Default::default()),
        };
        quote!(#field: #expr,)
    });
    quote! {
        #parse_root
        Ok(Self { #(#fields)* })
    }
}

enum Kind {
    Value,
    Timestamp,
    List(TokenStream),
}

fn scalar_kind(ctx: &Ctx<'_>, m: &Member) -> Kind {
    match &ctx.shape(&m.target).kind {
        ShapeKind::Simple(Simple::Timestamp) => Kind::Timestamp,
        ShapeKind::List { member } => Kind::List(ctx.rust_type(&member.target)),
        _ => Kind::Value,
    }
}

/// Statements that write every field of `self` into `r` (an `OutboundRequest` for inputs,
/// `ResponseParts` when `status` is given).
fn write_fields(ctx: &Ctx<'_>, s: &ShapeIr, ns: Option<&str>, status: Option<u16>) -> TokenStream {
    let is_input = status.is_none();
    let mut out = Vec::new();
    let ns_tokens = match ns {
        Some(uri) => quote!(Some(#uri)),
        None => quote!(None),
    };
    for m in ctx.fields(s) {
        let field = names::field_name(&m.name);
        let holder = ctx.holder(m);
        let opt = match holder {
            Holder::Option => quote!(self.#field.as_ref()),
            _ => quote!(Some(&self.#field)),
        };
        match &m.binding {
            Binding::Label { .. } if is_input => {
                let slot = if m.name == "Key" {
                    quote!(r.key)
                } else {
                    quote!(r.bucket)
                };
                out.push(quote!(#slot = #opt.map(crate::codec::scalar::TextValue::to_text);));
            }
            Binding::Query(q) if is_input => out.push(match scalar_kind(ctx, m) {
                Kind::Timestamp => {
                    let fmt = format_tokens(ctx.timestamp_format(m, Location::Query));
                    quote!(crate::codec::http::push_query_timestamp(&mut r.query, #q, #opt, #fmt);)
                }
                Kind::List(_) => {
                    quote!(crate::codec::http::push_query_list(&mut r.query, #q, &self.#field);)
                }
                Kind::Value => quote!(crate::codec::http::push_query(&mut r.query, #q, #opt);),
            }),
            Binding::Header(name) => {
                let c = header_const(name);
                out.push(match scalar_kind(ctx, m) {
                    Kind::Timestamp => {
                        let fmt = format_tokens(ctx.timestamp_format(m, Location::Header));
                        quote!(crate::codec::http::set_header_timestamp(&mut r.headers, #c, #opt, #fmt)?;)
                    }
                    Kind::List(_) => quote!(crate::codec::http::set_header_list(&mut r.headers, #c, &self.#field)?;),
                    Kind::Value => quote!(crate::codec::http::set_header(&mut r.headers, #c, #opt)?;),
                });
            }
            Binding::PrefixHeaders(prefix) => {
                out.push(quote!(crate::codec::http::set_prefix_headers(&mut r.headers, #prefix, &self.#field)?;));
            }
            Binding::Payload => {
                let target = ctx.shape(&m.target);
                out.push(match &target.kind {
                    ShapeKind::Simple(Simple::String) => quote! {
                        if let Some(p) = #opt { r.body = Some(::bytes::Bytes::from(p.clone())); }
                    },
                    ShapeKind::Simple(Simple::Blob) => quote! {
                        if let Some(p) = #opt { r.body = Some(::bytes::Bytes::copy_from_slice(p.as_ref())); }
                    },
                    _ => {
                        let root = payload_root(ctx, m);
                        let ns = target.xml_namespace.as_ref().map(|n| n.uri.clone());
                        let ns = match ns {
                            Some(uri) => quote!(Some(#uri)),
                            None => ns_tokens.clone(),
                        };
                        quote! {
                            if let Some(p) = #opt {
                                r.set_xml_body(crate::codec::xml_value::write_document(p, #root, #ns));
                            }
                        }
                    }
                });
            }
            _ => {}
        }
    }
    if !xml::body_members(ctx, s).is_empty() {
        let root = body_root(s);
        let ns = match s.xml_namespace.as_ref().map(|n| n.uri.clone()) {
            Some(uri) => quote!(Some(#uri)),
            None => ns_tokens,
        };
        out.push(
            quote!(r.set_xml_body(crate::codec::xml_value::write_document(self, #root, #ns));),
        );
    }
    quote!(#(#out)*)
}

/// `aws.customizations#s3UnwrappedXmlOutput`: the body is one element, named after the single
/// body member, whose text is that member's value (`<LocationConstraint>eu-west-1</…>`).
fn unwrapped(ctx: &Ctx<'_>, s: &ShapeIr, ns: Option<&str>) -> (TokenStream, TokenStream) {
    let members = xml::body_members(ctx, s);
    let Some(m) = members.first() else {
        return (quote!(Ok(Self {})), quote!());
    };
    let field = names::field_name(&m.name);
    let elem = m.xml_element_name();
    let ty = ctx.rust_type(&m.target);
    let ns = ns.unwrap_or_default();
    let read = quote! {
        let root = crate::codec::xml_value::body_root(body, #elem)?;
        let #field = if root.text.trim().is_empty() {
            None
        } else {
            Some(crate::codec::xml_value::scalar::<#ty>(&root)?)
        };
        let _ = headers;
        Ok(Self { #field })
    };
    let write = quote! {
        let text = self.#field.as_ref().map(crate::codec::scalar::TextValue::to_text).unwrap_or_default();
        r.set_xml_body(crate::codec::xml_value::write_text_document(#elem, #ns, &text));
    };
    (read, write)
}
