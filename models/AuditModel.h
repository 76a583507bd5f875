#pragma once

#include "storage/AuditLog.h"

#include <QAbstractTableModel>

namespace paydesk {

class DbWorker;

/// The audit log, newest first, read 200 entries at a time by keyset (seq < last seen) as the
/// view scrolls (canFetchMore/fetchMore). Reads run on the DbWorker, so a search that has to
/// look far back never freezes the window.
class AuditModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditModel)
public:
    enum Column { Seq, Time, User, Action, Object, Details, ColumnCount };
    static constexpr int kBatch = 200;

    AuditModel(AuditLog &audit, DbWorker &worker, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    /// Starts over with a new search text ("" for everything).
    void setSearch(const QString &text);
    QString search() const { return m_text; }
    /// Starts over (new entries appear at the top).
    void reload();
    bool isLoading() const { return m_loading; }
    const AuditEntry *entryAt(int row) const;
    /// Details as the raw JSON instead of a sentence.
    void setShowRaw(bool raw);
    bool showRaw() const { return m_showRaw; }

signals:
    void loadingChanged(bool loading);
    void queryFailed(const QString &message);

private:
    void requestBatch();

    AuditLog &m_audit;
    DbWorker &m_worker;
    QString m_text;
    QList<AuditEntry> m_rows;
    bool m_loading = false;
    bool m_exhausted = false;
    bool m_showRaw = false;
    quint64 m_generation = 0;
};

} // namespace paydesk
