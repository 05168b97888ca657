import Foundation
import NIOCore
import NIOHTTP1
import WippyManifest

/// Serves the files of an `http.static` folder: GET and HEAD, the index file for folders,
/// the index for unknown paths with `spa`, never a file outside the folder.
enum StaticFiles {
    static func serve(_ site: HTTPStatic, relativePath: String, method: HTTPMethod) -> HTTPReply {
        guard method == .GET || method == .HEAD else {
            return .json(.methodNotAllowed, ["error": "static files answer GET and HEAD"])
        }
        let root = site.directory
        let decoded = relativePath.removingPercentEncoding ?? relativePath
        var candidates = [root + "/" + decoded]
        if site.spa { candidates.append(root + "/" + site.index) }
        // Every path is resolved (symlinks included) and checked inside the root: the one asked
        // for, the folder's index and the SPA fallback alike.
        guard let file = candidates.lazy.compactMap({ resolve($0, in: root, index: site.index) }).first else {
            return .json(.notFound, ["error": "not found: \(relativePath)"])
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return .json(.notFound, ["error": "not found: \(relativePath)"])
        }
        let ext = (file as NSString).pathExtension
        var headers = [("Content-Type", mediaTypes[ext.lowercased()] ?? "application/octet-stream")]
        if let cache = site.cacheControl { headers.append(("Cache-Control", cache)) }
        // A HEAD answer gets the length of the body it leaves out (see HTTPRequestHandler).
        return HTTPReply(status: .ok, headers: headers, body: ByteBuffer(bytes: data))
    }

    /// The `Content-Type` of a file by its extension: what web apps serve (others are
    /// `application/octet-stream`).
    static let mediaTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "json": "application/json", "map": "application/json", "webmanifest": "application/manifest+json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "xml": "application/xml", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "bmp": "image/bmp",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf", "wasm": "application/wasm",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "mp3": "audio/mpeg",
        "ogg": "audio/ogg", "wav": "audio/wav", "mp4": "video/mp4", "webm": "video/webm",
    ]

    /// The regular file `path` names, or the index file of the folder it names, resolved and inside
    /// `root`; nil otherwise.
    private static func resolve(_ path: String, in root: String, index: String) -> String? {
        func inside(_ path: String) -> String? {
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            return resolved == root || resolved.hasPrefix(root + "/") ? resolved : nil
        }
        guard var file = inside(path) else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            guard let indexFile = inside(file + "/" + index),
                  FileManager.default.fileExists(atPath: indexFile, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
            file = indexFile
        }
        return file
    }
}
