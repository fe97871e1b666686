// The catalog data files from data/, embedded at build time by cmake/embed_files.cmake (see this
// folder's CMakeLists.txt). Each function returns the file's exact bytes; the storage is static.
// Thread-safe.
#pragma once

#include <string_view>

namespace joinery::cloudprovider::embedded {

std::string_view InstanceTypesCsv();       // data/instance-types.csv
std::string_view InstanceTypesExtraCsv();  // data/instance-types-extra.csv
std::string_view PricesUsEast1Csv();       // data/prices-us-east-1.csv

}  // namespace joinery::cloudprovider::embedded
