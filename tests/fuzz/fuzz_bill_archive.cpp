// The containers daily bills arrive in (core/channels/BillWriter): Alipay's zip (readZip, entry
// names in GBK or UTF-8), WeChat's gzip (gunzip, with its bomb limit) and GBK text. The first
// byte picks what the rest is. Invariants: what writeZip/gzip write reads back unchanged; a
// gzip stream never inflates past the limit it was given.

#include "FuzzSupport.h"

#include "channels/BillWriter.h"

#include <cstdio>

using namespace paydesk;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    const quint8 mode = in.byte();
    const QByteArray rest = in.rest();
    switch (mode % 4) {
    case 0: { // a zip archive as downloaded
        if (auto entries = bills::readZip(rest); entries && !entries->isEmpty()) {
            auto again = bills::writeZip(entries.value());
            if (qEnvironmentVariableIsSet("PAYDESK_FUZZ_VERBOSE")) {
                for (const auto &e : entries.value())
                    std::fprintf(stderr, "entry [%s] %lld bytes\n", qPrintable(e.name), qlonglong(e.data.size()));
                std::fprintf(stderr, "writeZip: %lld bytes\n", again ? qlonglong(again->size()) : -1LL);
            }
            if (!again)
                break; // a name GBK cannot hold, for instance
            auto back = bills::readZip(again.value());
            if (!back)
                fuzz::fail("readZip refuses what writeZip wrote", back.error().message);
            if (back->size() != entries->size())
                fuzz::fail("readZip(writeZip(x)) has another number of entries",
                           QString::number(entries->size()) + u" -> " + QString::number(back->size()));
            for (qsizetype i = 0; i < back->size(); ++i) {
                if (back->at(i).data != entries->at(i).data)
                    fuzz::fail("readZip(writeZip(x)) changed an entry's data");
            }
        }
        break;
    }
    case 1: { // a gzip stream, with a small bomb limit
        const qint64 limit = 1 << 16;
        if (auto plain = bills::gunzip(rest, limit); plain && plain->size() > limit)
            fuzz::fail("gunzip inflated past its limit");
        break;
    }
    case 2: { // anything gzipped and back
        auto back = bills::gunzip(bills::gzip(rest));
        if (!back || back.value() != rest)
            fuzz::fail("gunzip(gzip(x)) differs");
        break;
    }
    default: { // GBK text (Alipay's CSV) and back
        const QString text = bills::fromGbk(rest);
        (void)bills::toGbk(text);
        auto zip = bills::writeZip({{text.left(200), rest}});
        if (zip) {
            auto back = bills::readZip(zip.value());
            if (!back || back->size() != 1 || back->at(0).data != rest)
                fuzz::fail("a written zip entry does not read back");
        }
        break;
    }
    }
    return 0;
}
