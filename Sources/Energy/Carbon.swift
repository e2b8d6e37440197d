import Foundation

/// The carbon intensity of the electricity a job used, and where the figure comes from.
public struct GridIntensity: Sendable, Equatable {
    /// Grams of CO2-equivalent per kilowatt-hour.
    public let gramsPerKWh: Double
    /// The region it applies to: a country name, `World` or `user`.
    public let region: String
    /// The ISO 3166 alpha-3 code of the country (empty for the world default or a user figure).
    public let isoCode: String
    /// Where the figure comes from.
    public let source: String
    /// The year the figure describes (`nil` for a user figure).
    public let year: Int?
    /// `modelled` for a country's figure or a user figure, `default` for the world average.
    public let provenance: Provenance
}

/// Grid carbon intensity per country (``table``), a world default, and look-up by code or name.
public enum CarbonIntensity {
    /// One country's annual average carbon intensity of electricity generation.
    public struct Row: Sendable, Equatable {
        /// ISO 3166-1 alpha-3 code (`FRA`).
        public let alpha3: String
        /// ISO 3166-1 alpha-2 code (`FR`; empty where ISO has none).
        public let alpha2: String
        /// Country or territory name.
        public let name: String
        /// gCO2e per kWh.
        public let gramsPerKWh: Double
        /// The year of the figure.
        public let year: Int
    }

    /// The world average used when no country is given: 480 gCO2e/kWh in 2023
    /// (Ember, Global Electricity Review 2024). CodeCarbon's world default is 475 (IEA, 2019).
    public static let worldDefault = GridIntensity(
        gramsPerKWh: 480, region: "World", isoCode: "",
        source: "Ember, Global Electricity Review 2024: world average carbon intensity of electricity in 2023",
        year: 2023, provenance: .default)

    /// Every country in the table.
    public static var countries: [Row] { table }

    /// The intensity for a country given as an alpha-2 or alpha-3 code or a name (any case, accents
    /// optional: `Côte d'Ivoire` or `Cote d'Ivoire`); `UK` is the United Kingdom (ISO reserves it
    /// for it), and `World` the world average (``worldDefault``, as when no country is given).
    ///
    /// - Parameter country: `FR`, `fra`, `France`.
    /// - Returns: The country's figure (provenance `modelled`), or ``worldDefault`` for `World`.
    /// - Throws: ``EnergyError/unknownCountry(received:suggestions:)`` naming close matches.
    public static func lookup(_ country: String) throws(EnergyError) -> GridIntensity {
        func folded(_ text: String) -> String {
            text.trimmingCharacters(in: .whitespaces).folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
        }
        var key = folded(country)
        if key == "WORLD" { return worldDefault }
        if key == "UK" { key = "GB" }
        let row = table.first { $0.alpha3 == key || (!$0.alpha2.isEmpty && $0.alpha2 == key) || folded($0.name) == key }
        guard let row else {
            let suggestions = table.filter { key.count >= 2 && ($0.name.uppercased().hasPrefix(String(key.prefix(3))) || $0.alpha3.hasPrefix(String(key.prefix(2)))) }
                .prefix(5).map { "\($0.alpha2.isEmpty ? $0.alpha3 : $0.alpha2) (\($0.name))" }
            throw .unknownCountry(received: country, suggestions: Array(suggestions))
        }
        return GridIntensity(gramsPerKWh: row.gramsPerKWh, region: row.name, isoCode: row.alpha3,
                             source: tableSource, year: row.year, provenance: .modelled)
    }

    /// A figure the user gave (`--grid-intensity`).
    ///
    /// - Parameters:
    ///   - gramsPerKWh: gCO2e per kWh, finite and ≥ 0.
    ///   - region: The region to name in reports (a country's name, or `user`).
    /// - Returns: The figure (provenance `modelled`).
    /// - Throws: ``EnergyError/invalidParameter(name:received:valid:)`` for a negative or non-finite value.
    public static func userGiven(_ gramsPerKWh: Double, region: String = "user") throws(EnergyError) -> GridIntensity {
        guard gramsPerKWh.isFinite, gramsPerKWh >= 0, gramsPerKWh <= 5000 else {
            throw .invalidParameter(name: "--grid-intensity", received: "\(gramsPerKWh)",
                                    valid: "give gCO2e per kWh between 0 and 5000 (the world average is about 480)")
        }
        return GridIntensity(gramsPerKWh: gramsPerKWh, region: region, isoCode: "", source: "given by the user (--grid-intensity)",
                             year: nil, provenance: .modelled)
    }
}

/// What electricity and machine time cost.
public struct ElectricityPrice: Sendable, Equatable {
    /// Price of one kWh.
    public let perKWh: Double
    /// Price of one hour of the machine (cloud instances), 0 when not given.
    public let perHour: Double
    /// The currency's code, e.g. `USD`, `EUR`.
    public let currency: String
    /// Where the per-kWh price comes from.
    public let source: String
    /// `modelled` when the user gave a price, `default` for the stated default.
    public let provenance: Provenance

    /// The default price: the U.S. average retail price of electricity, all sectors, 2023
    /// (U.S. Energy Information Administration, Electric Power Monthly, table 5.3): 0.1268 USD/kWh.
    public static let `default` = ElectricityPrice(
        perKWh: 0.1268, perHour: 0, currency: "USD",
        source: "U.S. EIA, Electric Power Monthly table 5.3: average retail price, all sectors, 2023", provenance: .default)

    /// A price the user gave.
    ///
    /// - Parameters:
    ///   - perKWh: Price per kWh (`nil`: the default's figure, still labelled `default`), ≥ 0.
    ///   - perHour: Price per hour of machine time, ≥ 0.
    ///   - currency: A currency code of 1 to 8 letters.
    /// - Returns: The price; its provenance is `modelled` when `perKWh` is given.
    /// - Throws: ``EnergyError/invalidParameter(name:received:valid:)`` for a negative or non-finite price
    ///   or an empty currency.
    public static func userGiven(perKWh: Double?, perHour: Double?, currency: String?) throws(EnergyError) -> ElectricityPrice {
        if let perKWh, !(perKWh.isFinite && perKWh >= 0 && perKWh < 1000) {
            throw .invalidParameter(name: "--price-per-kwh", received: "\(perKWh)", valid: "give a price per kWh between 0 and 1000")
        }
        if let perHour, !(perHour.isFinite && perHour >= 0 && perHour < 1_000_000) {
            throw .invalidParameter(name: "--price-per-hour", received: "\(perHour)", valid: "give a price per hour between 0 and 1000000")
        }
        if perKWh == nil, let currency, currency.uppercased() != ElectricityPrice.default.currency {
            throw .invalidParameter(name: "--currency", received: currency,
                                    valid: "a currency other than USD needs --price-per-kwh too (the default price is in USD)")
        }
        let code = currency ?? ElectricityPrice.default.currency
        guard (1...8).contains(code.count), code.allSatisfy({ $0.isLetter }) else {
            throw .invalidParameter(name: "--currency", received: code, valid: "give a currency code of 1 to 8 letters, e.g. USD or EUR")
        }
        if let perKWh {
            return ElectricityPrice(perKWh: perKWh, perHour: perHour ?? 0, currency: code.uppercased(),
                                    source: "given by the user (--price-per-kwh)", provenance: .modelled)
        }
        return ElectricityPrice(perKWh: ElectricityPrice.default.perKWh, perHour: perHour ?? 0, currency: code.uppercased(),
                                source: ElectricityPrice.default.source, provenance: .default)
    }
}
