/// Bech32 (BIP 173) for key strings, without BIP 173's 90-character limit.
///
/// A string is `hrp "1" data checksum`; each data character carries 5 bits; the 6-character
/// checksum is a BCH code over the expanded human-readable part and the data, so that
/// `polymod(expand(hrp) + data + checksum) == 1`.
enum Bech32 {
    static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]

    /// Why a string is not valid Bech32.
    enum Failure: Error, Equatable {
        case mixedCase, noSeparator, invalidCharacter(Character), badChecksum, badPadding, tooShort
    }

    static func polymod(_ values: [UInt8]) -> UInt32 {
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1FF_FFFF) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 {
                check ^= generator[i]
            }
        }
        return check
    }

    /// The human-readable part expanded for the checksum: high 3 bits of each character, 0, low 5 bits.
    static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits: 8 → 5 with zero padding (`pad`), or 5 → 8 rejecting non-zero or excess padding.
    static func regroup(_ values: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0, bits = 0
        var out: [UInt8] = []
        let mask = (1 << to) - 1
        for value in values {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & mask))
            }
            accumulator &= (1 << bits) - 1
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || accumulator != 0 {
            return nil
        }
        return out
    }

    /// Encodes bytes under a lower-case human-readable part.
    static func encode(hrp: String, bytes: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let data = regroup(bytes, from: 8, to: 5, pad: true) ?? []
        let check = polymod(expand(hrpBytes) + data + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((check >> (5 * (5 - UInt32($0)))) & 31) }
        return hrp + "1" + String(decoding: (data + checksum).map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Decodes a string into its (lower-case) human-readable part and bytes.
    static func decode(_ text: String) throws(Failure) -> (hrp: String, bytes: [UInt8]) {
        let raw = Array(text.utf8)
        let hasLower = raw.contains { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        let hasUpper = raw.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        if hasLower && hasUpper { throw .mixedCase }
        let lower = raw.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator > 0 else { throw .noSeparator }
        let hrp = Array(lower[..<separator])
        for byte in hrp where !(33...126).contains(byte) {
            throw .invalidCharacter(Character(Unicode.Scalar(byte)))
        }
        var data: [UInt8] = []
        for byte in lower[(separator + 1)...] {
            guard let value = alphabet.firstIndex(of: byte) else {
                throw .invalidCharacter(Character(Unicode.Scalar(byte)))
            }
            data.append(UInt8(value))
        }
        guard data.count >= 6 else { throw .tooShort }
        guard polymod(expand(hrp) + data) == 1 else { throw .badChecksum }
        guard let bytes = regroup(Array(data.dropLast(6)), from: 5, to: 8, pad: false) else { throw .badPadding }
        return (String(decoding: hrp, as: UTF8.self), bytes)
    }
}

extension Bech32.Failure: CustomStringConvertible {
    var description: String {
        switch self {
        case .mixedCase: "it mixes upper- and lower-case letters"
        case .noSeparator: "it has no '1' separator"
        case .invalidCharacter(let c): "it contains '\(c)', which Bech32 does not use"
        case .badChecksum: "its checksum does not match (a character is mistyped or missing)"
        case .badPadding: "its data has invalid padding"
        case .tooShort: "it is too short"
        }
    }
}
