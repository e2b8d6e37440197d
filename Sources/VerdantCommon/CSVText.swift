/// Writing CSV (RFC 4180): the one field-quoting rule of Verdant's CSV outputs (predictions,
/// energy rows, kernel matrices).
public enum CSVText {
    /// A field as written in a CSV row: unchanged, or quoted (`"…"`, inner quotes doubled) when it
    /// holds a comma, a double quote, a line feed or a carriage return.
    ///
    /// - Parameter text: The field's value.
    /// - Returns: The field's text.
    public static func field(_ text: String) -> String {
        // Unicode scalars, not Characters: "\r\n" is one Character that equals neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One row: the fields quoted as ``field(_:)`` does and joined by commas (no line end).
    /// A row of one empty field is written `""`, so that it does not read back as a blank line
    /// (Python's `csv.writer` does the same).
    ///
    /// - Parameter fields: The row's values.
    /// - Returns: The row's text.
    public static func row(_ fields: [String]) -> String {
        if fields == [""] { return "\"\"" }
        return fields.map(field).joined(separator: ",")
    }
}
