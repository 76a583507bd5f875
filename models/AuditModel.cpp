#include "AuditModel.h"

#include "DbWorker.h"
#include "Labels.h"

namespace paydesk {

AuditModel::AuditModel(AuditLog &audit, DbWorker &worker, QObject *parent)
    : QAbstractTableModel(parent), m_audit(audit), m_worker(worker)
{
}

int AuditModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AuditModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

Qt::ItemFlags AuditModel::flags(const QModelIndex &index) const
{
    return index.isValid() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren : Qt::NoItemFlags;
}

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Seq: return tr("No");
    case Time: return tr("Time");
    case User: return tr("User");
    case Action: return tr("Action");
    case Object: return tr("Object");
    case Details: return tr("Details");
    }
    return {};
}

QVariant AuditModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &e = m_rows.at(index.row());
    if (role == Qt::UserRole)
        return e.seq;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Seq: return e.seq;
    case Time: return Labels::time(e.at);
    case User: return role == Qt::ToolTipRole ? e.user : Labels::actor(e.user);
    case Action: return role == Qt::ToolTipRole ? e.action : Labels::action(e.action);
    case Object: return role == Qt::ToolTipRole ? e.object : Labels::object(e.object);
    // A sentence in the reader's language, times local; the raw JSON it was made from in the
    // tooltip and with "Show raw details".
    case Details: return role == Qt::ToolTipRole || m_showRaw ? Labels::rawDetails(e) : Labels::sentence(e);
    }
    return {};
}

void AuditModel::setShowRaw(bool raw)
{
    if (raw == m_showRaw)
        return;
    m_showRaw = raw;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, Details), index(int(m_rows.size()) - 1, Details), {Qt::DisplayRole});
}

const AuditEntry *AuditModel::entryAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows[row] : nullptr;
}

bool AuditModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_exhausted && !m_loading;
}

void AuditModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        requestBatch();
}

void AuditModel::setSearch(const QString &text)
{
    m_text = text.trimmed();
    reload();
}

void AuditModel::reload()
{
    beginResetModel();
    m_rows.clear();
    m_exhausted = false;
    m_loading = false;
    ++m_generation; // answers to earlier requests are dropped
    endResetModel();
    requestBatch();
}

void AuditModel::requestBatch()
{
    if (m_loading)
        return;
    m_loading = true;
    emit loadingChanged(true);
    AuditLog::Filter f;
    f.text = m_text;
    f.limit = kBatch;
    f.beforeSeq = m_rows.isEmpty() ? 0 : m_rows.constLast().seq;
    const quint64 generation = m_generation;
    AuditLog *audit = &m_audit;
    m_worker.run<Result<QList<AuditEntry>>>(
        [audit, f]() -> Result<QList<AuditEntry>> { return audit->list(f); }, this,
        [this, generation](Result<QList<AuditEntry>> result) {
            if (generation != m_generation)
                return;
            m_loading = false;
            emit loadingChanged(false);
            if (!result) {
                m_exhausted = true;
                emit queryFailed(result.error().message);
                return;
            }
            const QList<AuditEntry> &batch = result.value();
            if (batch.size() < kBatch)
                m_exhausted = true;
            if (batch.isEmpty())
                return;
            beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + batch.size()) - 1);
            m_rows += batch;
            endInsertRows();
        });
}

} // namespace paydesk
