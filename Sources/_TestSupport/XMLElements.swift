import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads an SVG (or any XML) with Foundation's XMLParser: whether it is well formed, and every
/// element with its attributes and its `<title>` text, in document order.
public final class XMLElements: NSObject, XMLParserDelegate {
    /// One element: its name, attributes, the text of its `<title>` child and its own text.
    public struct Element: Sendable {
        /// The element's name.
        public let name: String
        /// Its attributes.
        public let attributes: [String: String]
        /// The text of its `<title>` child (a tooltip), if any.
        public var title: String?
        /// The text directly inside it (not its child elements').
        public var text: String
    }

    /// Every element, in document order.
    public private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private var inTitle = false
    /// Why parsing failed (nil: well formed).
    public private(set) var error: Error?

    /// Parses `text`.
    public init(_ text: String) {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? NSError(domain: "xml", code: 1) }
    }

    /// Whether the text is well-formed XML.
    public var wellFormed: Bool { error == nil }

    public func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "title", let parent = stack.last {
            inTitle = true
            elements[parent].title = ""
        }
        elements.append(Element(name: name, attributes: attributes, title: nil, text: ""))
        stack.append(elements.count - 1)
    }

    public func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        if name == "title" { inTitle = false }
    }

    public func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inTitle, stack.count >= 2 { elements[stack[stack.count - 2]].title? += string }
        if let current = stack.last { elements[current].text += string }
    }

    /// Elements whose class list holds `name`.
    public func withClass(_ name: String) -> [Element] {
        elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(name)) }
    }

    /// The texts of every `<text>` element.
    public var texts: [String] { elements.filter { $0.name == "text" }.map(\.text) }
}

extension XMLElements.Element {
    /// An attribute as a number (NaN when missing or not a number).
    public func number(_ attribute: String) -> Double { Double(attributes[attribute] ?? "") ?? .nan }
}
