// swift-http-types is Ringside's public vocabulary (`HTTPRequest.Method`,
// `HTTPField.Name`, `HTTPResponse.Status`): `import Ringside` brings it along.
@_exported public import HTTPTypes
