#pragma once

#include "domain/Domain.h"

namespace paydesk {
class Services;
class SyncEngine;
class DbWorker;
} // namespace paydesk

namespace paydesk::ui {

/// What every page and dialog is given by the main window (which got it from main()):
/// the services, the background worker, the timer (may be null in tests) and who is signed in.
struct UiContext
{
    Services &services;
    DbWorker &worker;
    SyncEngine *sync = nullptr;
    User user;
    bool demo = false;
};

} // namespace paydesk::ui
