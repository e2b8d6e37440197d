/// The messages of the dataset loaders, in one place: each names the file, the line (1-based, the
/// header is line 1 when the file starts with it) and the column (its name and 1-based number),
/// says what was found and what is valid.
extension QuantumMLError {
    /// `line 7, column 3 ("petal_length")`.
    static func csvPlace(line: Int, column: Int, name: String?) -> String {
        if let name { return "line \(line), column \(column) (\"\(name)\")" }
        return "line \(line), column \(column)"
    }

    static func csvEmpty(_ location: String) -> QuantumMLError {
        .data(location: location, found: "the file is empty", valid: "a header row and at least one data row are needed")
    }

    static func csvHeaderOnly(_ location: String) -> QuantumMLError {
        .data(location: location, found: "there are no data rows after the header (line 1)", valid: "at least one data row is needed")
    }

    static func csvNotUTF8(_ location: String) -> QuantumMLError {
        .data(location: location, found: "the file is not UTF-8 text", valid: "a CSV file is expected")
    }

    static func csvTooFewColumns(_ location: String, line: Int, count: Int) -> QuantumMLError {
        .data(location: location, found: "line \(line): the header has \(count) column\(count == 1 ? "" : "s")", valid: "at least one feature column and a label column are needed")
    }

    static func csvEmptyColumnName(_ location: String, line: Int, column: Int) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: nil)): the column has no name", valid: "every column of the header needs one")
    }

    static func csvDuplicateColumn(_ location: String, line: Int, column: Int, name: String, first: Int) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: name)): column \(first) has the same name", valid: "column names must be distinct")
    }

    static func csvUnknownColumn(_ location: String, name: String, role: String, columns: [String]) -> QuantumMLError {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return .data(location: location, found: "there is no column named \"\(name)\" (\(role))", valid: "the columns are \(list)")
    }

    static func csvRagged(_ location: String, line: Int, count: Int, expected: Int, headerLine: Int) -> QuantumMLError {
        .data(location: location, found: "line \(line): \(count) field\(count == 1 ? "" : "s")", valid: "the header (line \(headerLine)) has \(expected)")
    }

    static func csvNotANumber(_ location: String, line: Int, column: Int, name: String, text: String) -> QuantumMLError {
        let place = csvPlace(line: line, column: column, name: name)
        if text.isEmpty { return .data(location: location, found: "\(place): the cell is empty", valid: "a number is needed") }
        return .data(location: location, found: "\(place): \"\(text)\" is not a number", valid: "a feature cell holds a finite number")
    }

    static func csvNotFinite(_ location: String, line: Int, column: Int, name: String, text: String) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: name)): \"\(text)\" is not a finite number", valid: "NaN and infinity are not accepted")
    }

    static func csvTargetNotANumber(_ location: String, line: Int, column: Int, name: String, text: String) -> QuantumMLError {
        let place = csvPlace(line: line, column: column, name: name)
        let found = text.isEmpty ? "the target is empty" : "the target \"\(text)\" is not a number"
        return .data(location: location, found: "\(place): \(found)", valid: "a regressor needs a finite number in every row of its target column")
    }

    static func csvEmptyLabel(_ location: String, line: Int, column: Int, name: String) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: name)): the label is empty", valid: "every row needs a label")
    }

    static func csvBlankLine(_ location: String, line: Int) -> QuantumMLError {
        .data(location: location, found: "line \(line) is blank", valid: "blank lines are allowed only at the end of the file")
    }

    static func csvUnclosedQuote(_ location: String, line: Int, column: Int) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: nil)): the quoted field is not closed before the end of the file",
              valid: "close it with a quote")
    }

    static func csvAfterQuote(_ location: String, line: Int, column: Int, character: String) -> QuantumMLError {
        .data(location: location, found: "\(csvPlace(line: line, column: column, name: nil)): \"\(character)\" after the closing quote", valid: "a quoted field must be followed by a comma or the end of the line (write \"\" for a quote inside it)")
    }

    static func sealedNotCSV(_ location: String, contentType: String, accepted: [String]) -> QuantumMLError {
        .data(location: location, found: "the sealed file holds \(contentType), not a CSV dataset", valid: "accepted content types: \(accepted.joined(separator: ", "))")
    }
}

/// The messages of federated shards (`--data 'site-{rank}.csv'`), in one place.
extension QuantumMLError {
    /// A `{rank}` path where only one file can be read (predict, kernel, a test set, a regressor).
    static func shardsNotReadHere(_ pattern: String, use: String) -> QuantumMLError {
        .invalidArgument(argument: use, received: "'\(pattern)', a path with \(DataSource.rankPlaceholder) (one shard per MPI rank)",
                         valid: "one file that every rank reads: shards are read only by `train` of a variational model (vqc, vqr), "
                             + "where each rank trains on its own rows")
    }

    /// A `{rank}` path in a run of one rank.
    static func shardsNeedRanks(_ pattern: String) -> QuantumMLError {
        .invalidArgument(argument: "a data path with \(DataSource.rankPlaceholder)",
                         received: "'\(pattern)' in a run of one rank: \(DataSource.rankPlaceholder) names one shard per MPI rank, "
                             + "and this process is the only one",
                         valid: "used under mpirun with one rank per shard (mpirun -np N verdant train …, built with --traits MPI); "
                             + "or give one file, a path without \(DataSource.rankPlaceholder)")
    }

    /// A kernel model on shards: its kernel needs every pair of rows.
    static func shardsForKernelModel(_ model: String) -> QuantumMLError {
        .invalidArgument(argument: "the model trained on federated shards", received: model,
                         valid: "a variational model (vqc, vqr): a kernel SVM needs the kernel of every pair of training rows, "
                             + "so rows would have to leave their sites (and its model stores training rows as support vectors); "
                             + "vqc and vqr send only gradient sums between the ranks")
    }

    /// What the federated path does not offer (yet).
    static func shardsUnsupported(_ what: String, remedy: String) -> QuantumMLError {
        .invalidArgument(argument: "the options of training on federated shards", received: what, valid: remedy)
    }

    /// Shards whose columns differ from rank 0's.
    static func shardsDisagree(rank: Int, path: String, found: String, expected: String) -> QuantumMLError {
        .data(location: "\(path) (rank \(rank))", found: found, valid: "every shard must have rank 0's columns: \(expected)")
    }
}
