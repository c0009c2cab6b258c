import NIOCore

/// Splits the QMP byte stream into lines (one JSON message each), without the newline.
///
/// A reply may arrive split across reads, or several messages in one read; the decoder keeps the partial tail until
/// its newline arrives. A line longer than ``maximumLineLength`` is an error rather than unbounded buffering, since a
/// peer that never sends a newline would otherwise grow memory forever.
struct QMPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Guest stats and `qom-list` replies are a few KiB; 1 MiB leaves room for `query-qmp-schema`-sized answers.
    static let defaultMaximumLineLength = 1 << 20

    var maximumLineLength: Int = Self.defaultMaximumLineLength
    /// Where the newline search resumes, so a long line arriving in many reads is scanned once.
    private var scanned = 0

    init(maximumLineLength: Int = Self.defaultMaximumLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    /// Thrown when a line exceeds the limit.
    struct LineTooLong: Error {
        var limit: Int
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let start = view.index(view.startIndex, offsetBy: self.scanned)
        guard let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            self.scanned = view.count
            if self.scanned > self.maximumLineLength { throw LineTooLong(limit: self.maximumLineLength) }
            return .needMoreData
        }
        let length = newline - view.startIndex
        self.scanned = 0
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        // QEMU writes "\r\n" on some chardev backends; a trailing CR is not part of the JSON.
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        if line.readableBytes > self.maximumLineLength { throw LineTooLong(limit: self.maximumLineLength) }
        // Blank lines carry no message.
        if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return .continue
        }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // An unterminated tail at EOF is a message cut off by a dying peer: drop it, the close itself is reported.
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        self.scanned = 0
        return .needMoreData
    }
}
