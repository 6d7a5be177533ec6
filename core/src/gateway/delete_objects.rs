//! DeleteObjects, authorized key by key: keys the caller may not delete come back as
//! per-key `AccessDenied` errors and are never sent to the backend; the rest are forwarded
//! in a body the gateway writes (with its own Content-MD5).

use std::sync::Arc;

use http::StatusCode;

use crate::authz;
use crate::error::Error;
use crate::registry::BucketTarget;
use crate::s3::{
    DeleteObjectsOutput, DeleteObjectsRequest, Error as KeyError, S3Operation, S3Request,
    S3Response,
};

use super::Inner;
use super::plan::Plan;
use super::s3::{S3Call, XmlBody, namespace, rewrite};

impl Inner {
    pub(super) fn delete_objects(
        self: &Arc<Self>,
        call: S3Call,
        target: BucketTarget,
        mut request: DeleteObjectsRequest,
    ) -> Result<Plan, Error> {
        let checks = authz::delete_objects_checks(&target.client_name, &request.delete);
        let mut denied = Vec::new();
        let mut allowed = Vec::new();
        for (object, (_, check)) in request.delete.objects.drain(..).zip(checks) {
            if authz::authorize(&call.auth.identity, target.anonymous_read, &check).is_ok() {
                allowed.push(object);
            } else {
                denied.push(KeyError {
                    key: Some(object.key),
                    version_id: object.version_id,
                    code: Some("AccessDenied".to_owned()),
                    message: Some("Access Denied".to_owned()),
                });
            }
        }
        if allowed.is_empty() {
            let output = DeleteObjectsOutput {
                errors: denied,
                ..DeleteObjectsOutput::default()
            };
            let parts = output.to_http()?;
            return Ok(self.respond(
                &call,
                StatusCode::OK,
                parts.headers,
                parts.body.unwrap_or_default(),
            ));
        }
        request.delete.objects = allowed;
        // The client's checksum covered the body it sent, not the one we write.
        request.checksum_algorithm = None;
        let hook: super::s3::ResponseHook = Box::new(move |response: &mut S3Response| {
            if let S3Response::DeleteObjects(out) = response {
                out.errors.extend(denied);
            }
        });
        let response = rewrite(
            S3Operation::DeleteObjects,
            namespace(&target),
            call.head.request_id.clone(),
            Some(hook),
        );
        self.forward_with(
            call,
            &target,
            S3Request::DeleteObjects(request),
            Some(XmlBody::Regenerated),
            Some(response),
        )
    }
}
