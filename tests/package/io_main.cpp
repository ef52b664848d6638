// Uses the io component of the installed (or build-tree) package: writes a small .npy file,
// reads it back memory-mapped, and computes an RDM of the view into the mapping.
#include <icl/icl.hpp>
#include <icl/io/load.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: icl_metrics_io_consumer FILE.npy\n");
    return 2;
  }
  // .npy version 1.0: magic, version, header length (little-endian), then the header, padded with
  // spaces and ended by a newline so that the data starts at a multiple of 64 bytes.
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  const double data[6] = {0.0, 0.0, 3.0, 4.0, 6.0, 8.0};
  {
    std::ofstream out(argv[1], std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const unsigned char length[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                     static_cast<unsigned char>(header.size() >> 8)};
    out.write(reinterpret_cast<const char*>(length), 2);
    out << header;
    out.write(reinterpret_cast<const char*>(data), sizeof data);
  }
  const icl::io::array a = icl::io::read_npy(argv[1]);
  const auto rdm = icl::rsa::compute_rdm(a.matrix<double>(), icl::rsa::dissimilarity::euclidean);
  if (rdm.n() != 3 || !(std::abs(rdm(0, 2) - 10.0) <= 1e-12)) {
    std::fprintf(stderr, "icl_metrics_io_consumer: n = %zu, d(0, 2) = %.17g, expected 3 and 10\n",
                 static_cast<std::size_t>(rdm.n()), rdm(0, 2));
    return 1;
  }
  std::printf("icl_metrics_io_consumer: ok\n");
  return 0;
}
