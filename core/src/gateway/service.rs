//! Operations the gateway answers itself: ListBuckets (the configured buckets the caller may
//! use), GetBucketLocation (the gateway's region, which clients sign for), and the bucket
//! lifecycle calls, which only a pass-through entry forwards (CreateBucket of a configured
//! bucket is answered here, as S3 answers its owner).

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;

use crate::authz::{self, Identity};
use crate::config::CorsRule;
use crate::error::Error;
use crate::registry::BucketTarget;
use crate::s3::{
    Bucket, BucketLocationConstraint, CreateBucketOutput, GetBucketCorsOutput,
    GetBucketLocationOutput, ListBucketsOutput, Owner, S3Request,
};

use super::Inner;
use super::plan::Plan;
use super::s3::S3Call;

impl Inner {
    pub(super) fn list_buckets(&self, call: &S3Call) -> Result<Plan, Error> {
        let Identity::Principal(principal) = &call.auth.identity else {
            return Err(Error::Denied(authz::Denied::Anonymous(
                authz::Check::service(authz::Action::ListAllMyBuckets),
            )));
        };
        let buckets = self
            .buckets
            .list_for(&call.auth.identity)
            .into_iter()
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: Some(call.head.now),
                bucket_region: None,
            })
            .collect();
        let output = ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(Owner {
                id: Some(principal.name.clone()),
                display_name: Some(principal.name.clone()),
            }),
            ..ListBucketsOutput::default()
        };
        let parts = output.to_http()?;
        Ok(self.respond(
            call,
            StatusCode::OK,
            parts.headers,
            parts.body.unwrap_or_default(),
        ))
    }

    /// GetBucketCors of a configured bucket: the rules the gateway enforces.
    pub(super) fn bucket_cors(&self, call: &S3Call, target: &BucketTarget) -> Result<Plan, Error> {
        if target.cors.is_empty() {
            return Err(Error::NoSuchCorsConfiguration);
        }
        let output = GetBucketCorsOutput {
            cors_rules: target.cors.iter().map(CorsRule::to_s3).collect(),
        };
        let parts = output.to_http()?;
        Ok(self.respond(
            call,
            StatusCode::OK,
            parts.headers,
            parts.body.unwrap_or_default(),
        ))
    }

    pub(super) fn bucket_location(&self, call: &S3Call) -> Plan {
        let region = &self.settings.region;
        // us-east-1 is the empty constraint, as S3 answers it.
        let location_constraint =
            (region != "us-east-1").then(|| BucketLocationConstraint::from_wire(region));
        match (GetBucketLocationOutput {
            location_constraint,
        })
        .to_http()
        {
            Ok(parts) => self.respond(
                call,
                StatusCode::OK,
                parts.headers,
                parts.body.unwrap_or_default(),
            ),
            Err(e) => self.error_plan(&e.into(), &call.head.request_id, &call.head.raw_path, false),
        }
    }

    /// CreateBucket and DeleteBucket: forwarded only through a pass-through entry, to callers
    /// allowed `create_bucket` / `delete_bucket`.
    pub(super) fn bucket_lifecycle(
        self: &Arc<Self>,
        call: S3Call,
        request: S3Request,
        body: Option<Bytes>,
    ) -> Result<Plan, Error> {
        let bucket = call.path.bucket.clone().unwrap_or_default();
        let creating = matches!(request, S3Request::CreateBucket(_));
        match self.buckets.lookup(&bucket) {
            Some(target) if target.pass_through => {
                let access =
                    authz::required_access(&request).map_err(|e| Error::InvalidArgument {
                        name: "bucket",
                        message: e.to_string(),
                    })?;
                authz::authorize_all(&call.auth.identity, |_| false, &access)?;
                self.forward(call, &target, request, body)
            }
            Some(_) if creating => self.create_configured(call, &request, bucket),
            Some(_) => Err(Error::Denied(authz::Denied::NotGranted(
                authz::Check::bucket(&bucket, authz::Action::DeleteBucket),
            ))),
            None if creating => Err(Error::Denied(authz::Denied::NotGranted(
                authz::Check::bucket(&bucket, authz::Action::CreateBucket),
            ))),
            None => Err(Error::NoSuchBucket),
        }
    }

    /// CreateBucket of a configured bucket: S3 answers its owner 200 OK with `Location: /bucket`
    /// in us-east-1 (legacy behaviour) and 409 BucketAlreadyOwnedByYou in every other region;
    /// the gateway does the same for its configured region. Only a caller granted
    /// `create_bucket` on the bucket owns it: anyone else is denied, as for an unknown bucket.
    fn create_configured(
        &self,
        call: S3Call,
        request: &S3Request,
        bucket: String,
    ) -> Result<Plan, Error> {
        let access = authz::required_access(request).map_err(|e| Error::InvalidArgument {
            name: "bucket",
            message: e.to_string(),
        })?;
        authz::authorize_all(&call.auth.identity, |_| false, &access)?;
        if self.settings.region != "us-east-1" {
            return Err(Error::BucketAlreadyOwnedByYou(bucket));
        }
        let parts = CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }
        .to_http()?;
        Ok(self.respond(
            &call,
            StatusCode::OK,
            parts.headers,
            parts.body.unwrap_or_default(),
        ))
    }
}
