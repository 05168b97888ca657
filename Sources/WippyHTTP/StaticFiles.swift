import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WippyManifest

/// Serves the files of an `http.static` folder: GET and HEAD, the index file for folders,
/// the index for unknown paths with `spa`, never a file outside the folder.
enum StaticFiles {
    static func serve(_ site: HTTPStatic, relativePath: String, method: HTTPRequest.Method) -> Response {
        guard method == .get || method == .head else {
            return HTTPServerService.json(.methodNotAllowed, ["error": "static files answer GET and HEAD"])
        }
        let root = site.directory
        let decoded = relativePath.removingPercentEncoding ?? relativePath
        var file = URL(fileURLWithPath: root + "/" + decoded).standardizedFileURL.resolvingSymlinksInPath().path
        guard file == root || file.hasPrefix(root + "/") else {
            return HTTPServerService.json(.notFound, ["error": "not found: \(relativePath)"])
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            file += "/" + site.index
        }
        if !FileManager.default.fileExists(atPath: file), site.spa {
            file = root + "/" + site.index
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return HTTPServerService.json(.notFound, ["error": "not found: \(relativePath)"])
        }
        var headers: HTTPFields = [:]
        let ext = (file as NSString).pathExtension
        headers[.contentType] = MediaType.getMediaType(forExtension: ext)?.description ?? "application/octet-stream"
        if let cache = site.cacheControl { headers[.cacheControl] = cache }
        headers[.contentLength] = String(data.count)
        return Response(status: .ok, headers: headers,
                        body: method == .head ? .init() : .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
