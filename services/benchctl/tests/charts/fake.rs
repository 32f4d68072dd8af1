//! A fake gRPC service answering fixed responses on chosen RPCs and UNIMPLEMENTED on the rest, so the
//! commands can be tested without the real services (and without breaking when their protos grow).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use benchhub_benchctl::client::{Clients, Endpoints};
use benchhub_proto::pb;
use benchhub_testkit::TestServer;
use tonic::codegen::http;
use tonic::server::NamedService;

pub(crate) type ResponseFuture =
    Pin<Box<dyn Future<Output = http::Response<tonic::body::Body>> + Send>>;

/// Answers one RPC path.
pub(crate) trait Handler: Send + Sync {
    fn handle(&self, request: http::Request<tonic::body::Body>) -> ResponseFuture;
}

/// Answers every call of one unary RPC with the same response.
pub(crate) struct Fixed<Request, Response> {
    response: Response,
    request: PhantomData<fn() -> Request>,
}

impl<Request, Response> tonic::server::UnaryService<Request> for Fixed<Request, Response>
where
    Response: Clone,
{
    type Response = Response;
    type Future = std::future::Ready<Result<tonic::Response<Response>, tonic::Status>>;

    fn call(&mut self, _request: tonic::Request<Request>) -> Self::Future {
        std::future::ready(Ok(tonic::Response::new(self.response.clone())))
    }
}

impl<Request, Response> Handler for Fixed<Request, Response>
where
    Request: prost::Message + Default + Send + 'static,
    Response: prost::Message + Clone + Send + Sync + 'static,
{
    fn handle(&self, request: http::Request<tonic::body::Body>) -> ResponseFuture {
        let method = Fixed::<Request, Response> {
            response: self.response.clone(),
            request: PhantomData,
        };
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            grpc.unary(method, request).await
        })
    }
}

pub(crate) fn fixed<Request, Response>(response: Response) -> Arc<dyn Handler>
where
    Request: prost::Message + Default + Send + 'static,
    Response: prost::Message + Clone + Send + Sync + 'static,
{
    Arc::new(Fixed::<Request, Response> {
        response,
        request: PhantomData,
    })
}

/// Names the gRPC service a fake stands in for.
pub(crate) trait ServiceName: 'static {
    const NAME: &'static str;
}

pub(crate) struct Rankings;
impl ServiceName for Rankings {
    const NAME: &'static str = pb::rankings_service_server::SERVICE_NAME;
}

pub(crate) struct Runner;
impl ServiceName for Runner {
    const NAME: &'static str = pb::runner_service_server::SERVICE_NAME;
}

/// A gRPC service answering fixed responses on some RPC paths and UNIMPLEMENTED on the others, like a
/// service whose RPCs are not built yet.
pub(crate) struct Fake<Name> {
    routes: Arc<HashMap<String, Arc<dyn Handler>>>,
    name: PhantomData<fn() -> Name>,
}

impl<Name> Clone for Fake<Name> {
    fn clone(&self) -> Self {
        Self {
            routes: Arc::clone(&self.routes),
            name: PhantomData,
        }
    }
}

impl<Name: ServiceName> Fake<Name> {
    pub(crate) fn new(routes: Vec<(&str, Arc<dyn Handler>)>) -> Self {
        let routes = routes
            .into_iter()
            .map(|(method, handler)| (format!("/{}/{method}", Name::NAME), handler))
            .collect();
        Self {
            routes: Arc::new(routes),
            name: PhantomData,
        }
    }
}

impl<Name: ServiceName> NamedService for Fake<Name> {
    const NAME: &'static str = Name::NAME;
}

impl<Name> tonic::codegen::Service<http::Request<tonic::body::Body>> for Fake<Name> {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        match self.routes.get(request.uri().path()) {
            Some(handler) => {
                let response = handler.handle(request);
                Box::pin(async move { Ok(response.await) })
            }
            None => {
                Box::pin(async { Ok(tonic::Status::unimplemented("not built yet").into_http()) })
            }
        }
    }
}

/// Serves `fake` on a loopback port; returns the server and clients pointing every service at it.
pub(crate) async fn serve<Name: ServiceName>(fake: Fake<Name>) -> (TestServer, Clients) {
    let server = TestServer::start(|listener, shutdown| async move {
        tonic::transport::Server::builder()
            .add_service(fake)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async move { shutdown.cancelled().await },
            )
            .await?;
        Ok(())
    })
    .await
    .expect("fake server starts");
    let clients = Clients::new(Endpoints {
        ingest: server.url.clone(),
        rankings: server.url.clone(),
        runner: server.url.clone(),
        judge: server.url.clone(),
        token: None,
    })
    .expect("clients");
    (server, clients)
}
