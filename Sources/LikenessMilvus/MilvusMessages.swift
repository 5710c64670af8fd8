import LikenessCore
import SwiftProtobuf

// Building and reading the generated protocol messages the index exchanges with Milvus.

extension Milvus_Proto_Common_KeyValuePair {
    init(_ key: String, _ value: String) {
        self.init()
        self.key = key
        self.value = value
    }
}

extension Milvus_Proto_Schema_FieldSchema {
    static func field(_ name: String, _ type: Milvus_Proto_Schema_DataType, primaryKey: Bool = false,
                      _ parameters: KeyValuePairs<String, String> = [:]) -> Self {
        var field = Self()
        field.name = name
        field.dataType = type
        field.isPrimaryKey = primaryKey
        field.autoID = false
        field.typeParams = parameters.map { Milvus_Proto_Common_KeyValuePair($0.key, $0.value) }
        return field
    }
}

extension Milvus_Proto_Schema_FieldData {
    static func int64(_ name: String, _ values: [Int64]) -> Self {
        var field = Self()
        field.type = .int64
        field.fieldName = name
        field.scalars.longData.data = values
        return field
    }

    static func varChar(_ name: String, _ values: [String]) -> Self {
        var field = Self()
        field.type = .varChar
        field.fieldName = name
        field.scalars.stringData.data = values
        return field
    }

    /// Vectors of `dimension` floats, flattened row by row.
    static func floatVector(_ name: String, dimension: Int, _ values: [Float]) -> Self {
        var field = Self()
        field.type = .floatVector
        field.fieldName = name
        field.vectors.dim = Int64(dimension)
        field.vectors.floatVector.data = values
        return field
    }
}
