import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// The HTTP channel, behind TLS when the web config in effect has a `tls_server_config`: each new connection takes
/// the context of the moment, so a SIGHUP that renews a certificate (or turns TLS on) applies to the next
/// connection without a restart, as exporter-toolkit does.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let web: LiveWebConfig

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = self.web.context
        return channel.eventLoop.makeCompletedFuture {
            if let context {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            }
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}

extension ReloadableTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { self.base.responder }
}
